"""Employers' pages about workers (blocks) and the worker's own pages (under work/)."""

from django.urls import path

from . import (
    group_views,
    qualification_views,
    rating_views,
    sanction_views,
    search_views,
    views,
)

app_name = "workers"

urlpatterns = [
    path("reviews/<int:pk>/block-worker/", views.block_from_review, name="block_from_review"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/<int:pk>/remove/", views.block_remove, name="block_remove"),
    # The worker's pages.
    path("work/", views.feed_page, name="feed"),
    path("work/mine/", views.my_work, name="my_work"),
    path("work/searches/", search_views.searches_page, name="searches"),
    path("work/searches/save/", search_views.search_save, name="search_save"),
    path("work/searches/<int:pk>/delete/", search_views.search_delete, name="search_delete"),
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
    # Fair ratings: rate a campaign's employer; an employer's public ratings.
    path("work/campaigns/<int:pk>/rating/", rating_views.campaign_rating, name="campaign_rating"),
    path(
        "employers/<int:pk>/ratings/",
        rating_views.employer_ratings_page,
        name="employer_ratings",
    ),
    # Qualification tests: taken (the worker's pages) and written (under tests/).
    path("work/tests/", qualification_views.tests_page, name="tests"),
    path("work/tests/<int:pk>/", qualification_views.test_page, name="test"),
    path("tests/", qualification_views.my_tests, name="my_tests"),
    path("tests/new/", qualification_views.test_new, name="test_new"),
    path("tests/<int:pk>/edit/", qualification_views.test_edit, name="test_edit"),
    path("levels/", qualification_views.levels_page, name="levels"),
    # An employer's groups of chosen workers (private campaigns).
    path("groups/", group_views.groups_page, name="groups"),
    path("groups/<int:pk>/", group_views.group_page, name="group"),
    path("groups/<int:pk>/members/", group_views.group_member_add_view, name="group_member_add"),
    path(
        "groups/<int:pk>/members/<int:worker_id>/remove/",
        group_views.group_member_remove_view,
        name="group_member_remove",
    ),
    path("groups/<int:pk>/rename/", group_views.group_rename_view, name="group_rename"),
    path("groups/<int:pk>/delete/", group_views.group_delete_view, name="group_delete"),
    path("reviews/<int:pk>/add-to-group/", group_views.group_add_from_review, name="group_add"),
    # Warnings before sanctions: the rules, one's own steps, appeals.
    path("warnings/", sanction_views.warnings_page, name="warnings"),
    path("warnings/<int:pk>/appeal/", sanction_views.warning_appeal, name="warning_appeal"),
]
