"""Moderation API, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path(
        "moderation/users/<int:pk>/suspend/",
        api.UserSuspendView.as_view(),
        name="moderation-user-suspend",
    ),
    path(
        "moderation/users/<int:pk>/reinstate/",
        api.UserReinstateView.as_view(),
        name="moderation-user-reinstate",
    ),
    path("moderation/audit/", api.AuditListView.as_view(), name="moderation-audit"),
]
