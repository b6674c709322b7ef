"""Staff view of the moderators' audit log and of suspensions.

Both are written only by ``moderation.services`` (a suspension pauses campaigns, notifies and
is audited; lifting one goes through ``user_reinstate``): view-only here. The audit log is
append-only: no add, change or delete."""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import ModerationAction, Sanction, Suspension
from core.admin import ViewOnlyAdmin, user_column


@admin.register(ModerationAction)
class ModerationActionAdmin(ViewOnlyAdmin):
    list_display = ["id", "created_at", "actor_email", "action", "target_type", "target_repr"]
    list_filter = ["action", ("target_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=id", "actor__email", "target_repr", "=target_id", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "target_type"]
    ordering = ["-created_at", "-id"]
    fields = [
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_link",
        "reason",
        "details",
    ]
    readonly_fields = fields
    actor_email = user_column("actor", _("moderator"))

    @admin.display(description=_("target"))
    def target_link(self, entry: ModerationAction) -> str:
        """The target's own admin page, when it still exists and has one."""
        model = entry.target_type.model_class()
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[entry.target_id],
            )
            model._default_manager.only("pk").get(pk=entry.target_id)
        except (AttributeError, NoReverseMatch, ObjectDoesNotExist, ValueError):
            return entry.target_repr
        return format_html('<a href="{}">{}</a>', url, entry.target_repr)


@admin.register(Suspension)
class SuspensionAdmin(ViewOnlyAdmin):
    list_display = ["id", "user_email", "by_email", "created_at", "lifted_at", "lifted_by_email"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "reason", "lift_reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "by", "lifted_by"]
    fields = ["user", "reason", "by", "created_at", "lifted_at", "lifted_by", "lift_reason"]
    readonly_fields = fields
    user_email = user_column("user", _("user"))
    by_email = user_column("by", _("suspended by"))
    lifted_by_email = user_column("lifted_by", _("lifted by"))


@admin.register(Sanction)
class SanctionAdmin(ViewOnlyAdmin):
    """Warnings and pauses for rejections: issued by Kaaj (``workers.sanctions``), lifted or
    upheld by moderators through the appeals page; view-only here."""

    list_display = ["id", "user_email", "side", "step", "number", "starts_at", "ends_at"]
    list_filter = ["side", "step", "appeal_status", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "user__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["user"]
    fields = [
        "user",
        "side",
        "step",
        "number",
        "rejection_rate",
        "reviewed",
        "rejected",
        "details",
        "starts_at",
        "ends_at",
        "lifted_at",
        "lifted_by",
        "lift_reason",
        "appeal",
        "appealed_at",
        "appeal_status",
        "decided_at",
        "decided_by",
        "decision_reason",
    ]
    readonly_fields = fields
    user_email = user_column("user", _("user"))
