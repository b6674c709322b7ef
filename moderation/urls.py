"""Moderation pages."""

app_name = "moderation"

urlpatterns: list = []
