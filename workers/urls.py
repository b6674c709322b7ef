"""Employers' pages about workers (blocks) and the worker's own pages (under work/)."""

from django.urls import path

from . import qualification_views, sanction_views, views

app_name = "workers"

urlpatterns = [
    path("reviews/<int:pk>/block-worker/", views.block_from_review, name="block_from_review"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/<int:pk>/remove/", views.block_remove, name="block_remove"),
    # The worker's pages.
    path("work/", views.feed_page, name="feed"),
    path("work/mine/", views.my_work, name="my_work"),
    path("work/campaigns/<int:pk>/", views.campaign_page, name="campaign"),
    path("work/campaigns/<int:pk>/claim/", views.campaign_claim, name="campaign_claim"),
    path("work/assignments/<int:pk>/", views.assignment_page, name="assignment"),
    path(
        "work/assignments/<int:pk>/release/",
        views.assignment_release_view,
        name="assignment_release",
    ),
    path(
        "work/assignments/<int:pk>/kept/<int:kept_pk>/remove/",
        views.assignment_kept_forget,
        name="assignment_kept_forget",
    ),
    # Qualification tests: taken (the worker's pages) and written (under tests/).
    path("work/tests/", qualification_views.tests_page, name="tests"),
    path("work/tests/<int:pk>/", qualification_views.test_page, name="test"),
    path("tests/", qualification_views.my_tests, name="my_tests"),
    path("tests/new/", qualification_views.test_new, name="test_new"),
    path("tests/<int:pk>/edit/", qualification_views.test_edit, name="test_edit"),
    path("levels/", qualification_views.levels_page, name="levels"),
    # Warnings before sanctions: the rules, one's own steps, appeals.
    path("warnings/", sanction_views.warnings_page, name="warnings"),
    path("warnings/<int:pk>/appeal/", sanction_views.warning_appeal, name="warning_appeal"),
]
