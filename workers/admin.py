"""Staff view of workers' reputation rows."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin, user_column

from .models import Block, SavedSearch


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """An employer's block of a worker. Staff may lift one (delete) or correct its reason;
    blocks are made by employers (``worker_block``), so there is no add form."""

    list_display = ["id", "employer_email", "worker_email", "reason", "created_at"]
    search_fields = ["employer__email", "worker__email", "reason"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    date_hierarchy = "created_at"
    list_select_related = ["employer", "worker"]
    fields = ["employer", "worker", "reason", "created_at"]
    readonly_fields = ["employer", "worker", "created_at"]
    employer_email = user_column("employer", _("employer"))
    worker_email = user_column("worker", _("worker"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SavedSearch)
class SavedSearchAdmin(ViewOnlyAdmin):
    """Workers' saved searches of the feed (their own to make and delete): view-only."""

    list_display = ["id", "worker_email", "name", "q", "category", "created_at"]
    search_fields = ["=id", "worker__email", "name", "q"]
    list_select_related = ["worker", "category"]
    fields = [
        "worker", "name", "q", "category", "min_reward_cents", "max_reward_cents", "hide_done",
        "created_at",
    ]  # fmt: skip
    readonly_fields = fields
    worker_email = user_column("worker", _("worker"))
