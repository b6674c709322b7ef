"""Webhooks API, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("webhook-endpoints/", api.EndpointListView.as_view(), name="webhook_endpoints"),
    path("webhook-endpoints/<int:pk>/", api.EndpointDetailView.as_view(), name="webhook_endpoint"),
    path(
        "webhook-endpoints/<int:pk>/deliveries/",
        api.EndpointDeliveriesView.as_view(),
        name="webhook_endpoint_deliveries",
    ),
    path(
        "webhook-deliveries/<int:pk>/resend/",
        api.DeliveryResendView.as_view(),
        name="webhook_delivery_resend",
    ),
]
