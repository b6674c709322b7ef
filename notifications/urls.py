"""Notifications pages."""

app_name = "notifications"

urlpatterns: list = []
