"""Staff view of users: Django's UserAdmin adapted to the email login (no username).

Balances are shown, never edited: money moves only through the ledger services."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import CappedCountPaginator

from .forms import AdminLoginForm
from .models import ApiToken, User

# The admin's log-in page leaves accounts with two-step sign-in to Kaaj's (accounts.forms).
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Workers may number in the hundreds of thousands: no full count, newest first by the
    # primary key's index (the same order as date_joined), and a static date filter instead
    # of a date drill-down (which asks for the first and last date_joined, unindexed).
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-id"]
    list_display = [
        "email",
        "display_name",
        "country",
        "language",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        "language",
        "groups",
        ("date_joined", admin.DateFieldListFilter),
    ]
    search_fields = ["email", "display_name", "=id"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "country", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see who has which device signed in and may revoke a token (delete); tokens are
    made only by signing in, and only their digest is stored, so nothing here is editable."""

    list_display = ["id", "user", "name", "created", "expiry", "last_used"]
    list_select_related = ["user"]
    search_fields = ["=id", "user__email", "name"]
    ordering = ["-id"]
    show_full_result_count = False
    fields = ["user", "name", "created", "expiry", "last_used"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
