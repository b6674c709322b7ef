"""Moderation pages, under /moderation/."""

from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("", views.home, name="home"),
    path("flags/", views.flags, name="flags"),
    path("suspensions/", views.suspensions, name="suspensions"),
    path("users/", views.user_lookup, name="user_lookup"),
    path("users/<int:pk>/", views.user_page, name="user"),
    path("users/<int:pk>/suspend/", views.user_suspend_view, name="user_suspend"),
    path("users/<int:pk>/reinstate/", views.user_reinstate_view, name="user_reinstate"),
    path("audit/", views.audit, name="audit"),
]
