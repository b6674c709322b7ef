"""Webhooks pages."""

app_name = "webhooks"

urlpatterns: list = []
