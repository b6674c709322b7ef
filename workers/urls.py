"""Employers' pages about workers: blocks."""

from django.urls import path

from . import views

app_name = "workers"

urlpatterns = [
    path("reviews/<int:pk>/block-worker/", views.block_from_review, name="block_from_review"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/<int:pk>/remove/", views.block_remove, name="block_remove"),
]
