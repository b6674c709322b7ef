"""Staff view of notifications. A notification records something that happened and is
written only by ``notifications.services.notify``: view-only. Preferences are the user's
own choice, made on their settings page: view-only too."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin, ViewOnlyBigTableAdmin, user_column

from .models import Notification, NotificationPreferences


@admin.register(Notification)
class NotificationAdmin(ViewOnlyBigTableAdmin):
    list_display = [
        "id",
        "user_email",
        "kind",
        "count",
        "created_at",
        "updated_at",
        "read_at",
        "emailed_at",
    ]
    list_filter = [
        "kind",
        "email_due",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=id", "=user__email", "batch_key", "dedupe_key"]
    list_select_related = ["user"]
    user_email = user_column("user", _("user"))


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(ViewOnlyAdmin):
    list_display = ["user_email", "email", "updated_at"]
    search_fields = ["user__email"]
    list_filter = [("updated_at", admin.DateFieldListFilter)]
    date_hierarchy = "updated_at"
    list_select_related = ["user"]
    fields = ["user", "email", "updated_at"]
    readonly_fields = fields
    user_email = user_column("user", _("user"))
