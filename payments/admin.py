"""Staff views of money. Everything here is read-only: money moves only through services
(the moderators' payout queue, staff adjustments), never by editing a row. The database
refuses UPDATE and DELETE of ledger rows anyway; the admin does not offer them.

Movements and transfers grow with every approval: their lists never count the whole table and
filter on a static date range rather than a date drill-down (which scans for distinct dates)."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin import UserAdmin
from accounts.models import User
from core.admin import BigTableAdmin, choices_filter, money, money_column, user_column

from .models import (
    Account,
    Deposit,
    Movement,
    Payout,
    PayoutEvent,
    PayoutMethod,
    PayoutStatus,
    Transfer,
    WebhookEvent,
)
from .selectors import account_balance, balances_of


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyBigTableAdmin(ReadOnlyAdmin, BigTableAdmin):
    pass


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "owner_email", "stored_balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "owner__email"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    fields = ["key", "kind", "owner", "current_balance", "created_at"]
    readonly_fields = fields
    owner_email = user_column("owner", _("owner"))

    @admin.display(description=_("balance"), ordering="balance")
    def stored_balance(self, account: Account) -> str:
        # A system account's balance is a sum over all its transfers (millions for the fee
        # account): the list shows it only on the account's own page.
        return "…" if account.is_system else money(account.balance)

    @admin.display(description=_("balance"))
    def current_balance(self, account: Account) -> str:
        return money(account_balance(account))


class TransferInline(admin.TabularInline):
    model = Transfer
    fields = ["debit", "credit", "amount_money"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    amount_money = money_column("amount", _("amount"))

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("debit", "credit")


@admin.register(Movement)
class MovementAdmin(ReadOnlyBigTableAdmin):
    list_display = ["id", "created_at", "kind", "reference", "actor_email", "idempotency_key"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["idempotency_key", "reference", "memo", "actor__email"]
    fields = ["kind", "idempotency_key", "reference", "actor", "memo", "created_at"]
    readonly_fields = fields
    inlines = [TransferInline]
    list_select_related = ["actor"]
    actor_email = user_column("actor", _("actor"))


@admin.register(Transfer)
class TransferAdmin(ReadOnlyBigTableAdmin):
    list_display = ["id", "movement", "debit", "credit", "amount_money"]
    list_filter = [("movement__created_at", admin.DateFieldListFilter)]
    search_fields = ["=movement__id", "movement__idempotency_key", "=debit__key", "=credit__key"]
    list_select_related = ["movement", "debit", "credit"]
    fields = ["movement", "debit", "credit", "amount_money"]
    readonly_fields = fields
    amount_money = money_column("amount", _("amount"))


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user_email",
        "amount",
        "currency",
        "provider",
        "status",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["=id", "user__email", "session_id"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    user_email = user_column("user", _("user"))
    amount = money_column("amount_cents", _("amount"))


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "provider", "type", "received_at", "processed_at"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id"]
    date_hierarchy = "received_at"


@admin.register(PayoutMethod)
class PayoutMethodAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user_email",
        "kind",
        "destination",
        "label",
        "created_at",
        "removed_at",
    ]
    list_filter = ["kind", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "destination"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    user_email = user_column("user", _("user"))


class PayoutEventInline(admin.TabularInline):
    model = PayoutEvent
    fields = ["created_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user_email",
        "kind",
        "amount",
        "status",
        "reference",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["=id", "user__email", "reference", "destination"]
    date_hierarchy = "created_at"
    inlines = [PayoutEventInline]
    list_select_related = ["user"]
    user_email = user_column("user", _("user"))
    amount = money_column("amount_cents", _("amount"))


@admin.register(PayoutEvent)
class PayoutEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "payout", "from_status", "to_status", "actor_email", "created_at"]
    list_filter = [choices_filter("to_status", PayoutStatus.choices, _("to status"))]
    search_fields = ["=payout__id", "actor__email", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["payout", "actor"]
    ordering = ["-id"]
    actor_email = user_column("actor", _("actor"))


# The user's page in the admin shows their money: the accounts app's UserAdmin, extended here
# (accounts sits below payments and knows nothing of wallets).
admin.site.unregister(User)


@admin.register(User)
class UserWithBalancesAdmin(UserAdmin):
    readonly_fields = ["balances", *UserAdmin.readonly_fields]
    fieldsets = [
        *UserAdmin.fieldsets[:2],
        (_("Money"), {"fields": ["balances"]}),
        *UserAdmin.fieldsets[2:],
    ]

    @admin.display(description=_("balances"))
    def balances(self, user: User) -> str:
        if user.pk is None:
            return "-"
        totals = balances_of(user)
        return format_html_join(
            ", ",
            "{}: {}",
            [
                (_("available"), money(totals.available_cents)),
                (_("in escrow"), money(totals.escrow_cents)),
                (_("payouts in flight"), money(totals.payout_cents)),
            ],
        )
