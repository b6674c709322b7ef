"""Workers API, under /api/v1/."""

from django.urls import path

from . import api, api_groups, api_qualifications, api_sanctions, api_searches

urlpatterns = [
    path("blocks/", api.BlockListView.as_view(), name="blocks"),
    path("blocks/<int:pk>/", api.BlockDetailView.as_view(), name="block"),
    # The worker's side of the loop.
    path("feed/", api.FeedView.as_view(), name="feed"),
    path("campaigns/<int:pk>/claim/", api.ClaimView.as_view(), name="campaign-claim"),
    path("assignments/", api.AssignmentListView.as_view(), name="assignments"),
    path("assignments/<int:pk>/submit/", api.SubmitView.as_view(), name="assignment-submit"),
    path("assignments/<int:pk>/release/", api.ReleaseView.as_view(), name="assignment-release"),
    # Qualification tests.
    path(
        "qualifications/",
        api_qualifications.QualificationListView.as_view(),
        name="qualifications",
    ),
    path(
        "qualifications/<int:pk>/",
        api_qualifications.QualificationDetailView.as_view(),
        name="qualification",
    ),
    path(
        "qualifications/<int:pk>/attempts/",
        api_qualifications.AttemptView.as_view(),
        name="qualification-attempts",
    ),
    # The worker's saved searches of the feed.
    path("saved-searches/", api_searches.SavedSearchListView.as_view(), name="saved-searches"),
    path(
        "saved-searches/<int:pk>/",
        api_searches.SavedSearchDetailView.as_view(),
        name="saved-search",
    ),
    # An employer's groups of chosen workers (private campaigns).
    path("groups/", api_groups.GroupListView.as_view(), name="groups"),
    path("groups/<int:pk>/", api_groups.GroupDetailView.as_view(), name="group"),
    path("groups/<int:pk>/members/", api_groups.GroupMembersView.as_view(), name="group-members"),
    # Warnings before sanctions.
    path("sanctions/", api_sanctions.SanctionListView.as_view(), name="sanctions"),
    path(
        "sanctions/<int:pk>/appeal/",
        api_sanctions.SanctionAppealView.as_view(),
        name="sanction-appeal",
    ),
]
