"""Staff view of employers' webhook endpoints and their deliveries.

Endpoints are registered by employers (the URL is checked to be public HTTPS); staff may only
switch one off (``is_active``) or correct its description. The signing secret is never shown.
Deliveries are a log written by the sender: view-only, and many, so never counted in full."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyBigTableAdmin, choices_filter, user_column

from .models import PING_EVENT, Delivery, Endpoint, WebhookEvent


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "url", "employer_email", "is_active", "created_at", "secret_rotated_at"]
    list_filter = ["is_active", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "url", "employer__email", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["employer"]
    fields = [
        "employer",
        "url",
        "description",
        "events",
        "is_active",
        "created_at",
        "secret_rotated_at",
        "deliveries_link",
    ]
    readonly_fields = [
        "employer",
        "url",
        "events",
        "created_at",
        "secret_rotated_at",
        "deliveries_link",
    ]
    employer_email = user_column("employer", _("employer"))

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, endpoint: Endpoint) -> str:
        return format_html(
            '<a href="{}?endpoint__id__exact={}">{}</a>',
            reverse("admin:webhooks_delivery_changelist"),
            endpoint.pk,
            _("Its deliveries"),
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # it would take the delivery log with it; switch it off instead


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyBigTableAdmin):
    list_display = [
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    ]
    list_filter = [
        "status",
        choices_filter("event", [*WebhookEvent.choices, (PING_EVENT, PING_EVENT)], _("event")),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=id", "=event_id", "=endpoint__id", "endpoint__employer__email"]
    list_select_related = ["endpoint"]
    fields = [
        "endpoint",
        "event",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "sending_until",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "last_response",
        "last_request_headers",
        "payload",
        "created_at",
        "delivered_at",
    ]
    readonly_fields = fields
