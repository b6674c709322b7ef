"""Workers API, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("blocks/", api.BlockListView.as_view(), name="blocks"),
    path("blocks/<int:pk>/", api.BlockDetailView.as_view(), name="block"),
]
