"""Webhooks pages."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:pk>/", views.endpoint, name="endpoint"),
    path("<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/rotate-secret/", views.endpoint_rotate, name="endpoint_rotate"),
    path("<int:pk>/toggle/", views.endpoint_toggle, name="endpoint_toggle"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("<int:pk>/ping/", views.endpoint_ping, name="endpoint_ping"),
    path("deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
