"""Staff views of money. Everything here is read-only: money moves only through services
(the moderators' payout queue, staff adjustments), never by editing a row."""

from django.contrib import admin

from .models import (
    Account,
    Deposit,
    Movement,
    Payout,
    PayoutEvent,
    PayoutMethod,
    Transfer,
    WebhookEvent,
)
from .selectors import account_balance


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "owner", "current_balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "owner__email"]
    list_select_related = ["owner"]

    @admin.display(description="balance (cents)")
    def current_balance(self, account: Account) -> int:
        return account_balance(account)


class TransferInline(admin.TabularInline):
    model = Transfer
    fields = ["debit", "credit", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "reference", "actor", "idempotency_key"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "reference", "memo", "actor__email"]
    date_hierarchy = "created_at"
    inlines = [TransferInline]
    list_select_related = ["actor"]


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "amount_cents",
        "currency",
        "provider",
        "status",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["user__email", "session_id"]
    list_select_related = ["user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "provider", "type", "received_at", "processed_at"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id"]


@admin.register(PayoutMethod)
class PayoutMethodAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "kind", "destination", "label", "created_at", "removed_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "destination"]
    list_select_related = ["user"]


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
        "user",
        "kind",
        "amount_cents",
        "status",
        "reference",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["user__email", "reference", "destination"]
    inlines = [PayoutEventInline]
    list_select_related = ["user"]
