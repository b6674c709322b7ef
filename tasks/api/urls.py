"""The work loop's endpoints under /api/v1/ (paths are the contract in DESIGN.md): campaigns,
reviews, disputes; the worker's side (feed, claim, submit, release) is in workers.api_urls."""

from django.urls import path

from . import assignments, campaigns, disputes, ratings, statistics

urlpatterns = [
    path("categories/", campaigns.CategoryListView.as_view(), name="categories"),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/<int:pk>/", campaigns.CampaignDetailView.as_view(), name="campaign"),
    path(
        "campaigns/<int:pk>/launch/",
        campaigns.CampaignLaunchView.as_view(),
        name="campaign-launch",
    ),
    path("campaigns/<int:pk>/pause/", campaigns.CampaignPauseView.as_view(), name="campaign-pause"),
    path(
        "campaigns/<int:pk>/resume/",
        campaigns.CampaignResumeView.as_view(),
        name="campaign-resume",
    ),
    path(
        "campaigns/<int:pk>/cancel/",
        campaigns.CampaignCancelView.as_view(),
        name="campaign-cancel",
    ),
    path(
        "campaigns/<int:pk>/add-positions/",
        campaigns.CampaignAddPositionsView.as_view(),
        name="campaign-add-positions",
    ),
    path(
        "campaigns/<int:pk>/assignments/",
        campaigns.CampaignAssignmentsView.as_view(),
        name="campaign-assignments",
    ),
    path(
        "assignments/bulk-review/",
        assignments.BulkReviewView.as_view(),
        name="assignments-bulk-review",
    ),
    path(
        "assignments/<int:pk>/approve/",
        assignments.ApproveView.as_view(),
        name="assignment-approve",
    ),
    path(
        "assignments/<int:pk>/reject/",
        assignments.RejectView.as_view(),
        name="assignment-reject",
    ),
    path(
        "assignments/<int:pk>/request-revision/",
        assignments.RequestRevisionView.as_view(),
        name="assignment-request-revision",
    ),
    path(
        "assignments/<int:pk>/bonus/",
        assignments.BonusView.as_view(),
        name="assignment-bonus",
    ),
    path(
        "campaigns/<int:pk>/results.csv",
        campaigns.CampaignResultsView.as_view(),
        name="campaign-results",
    ),
    path(
        "campaigns/<int:pk>/statistics/",
        statistics.CampaignStatisticsView.as_view(),
        name="campaign-statistics",
    ),
    path("statistics/", statistics.EmployerStatisticsView.as_view(), name="statistics"),
    path("screenshots/<int:pk>/", assignments.ScreenshotView.as_view(), name="screenshot"),
    path(
        "assignments/<int:pk>/dispute/",
        disputes.DisputeOpenView.as_view(),
        name="assignment-dispute",
    ),
    path(
        "campaigns/<int:pk>/rating/",
        ratings.CampaignRatingView.as_view(),
        name="campaign-rating",
    ),
    path(
        "employers/<int:pk>/ratings/",
        ratings.EmployerRatingsView.as_view(),
        name="employer-ratings",
    ),
    path("ratings/<int:pk>/answer/", ratings.RatingAnswerView.as_view(), name="rating-answer"),
    path("ratings/<int:pk>/report/", ratings.RatingReportView.as_view(), name="rating-report"),
    path("disputes/<int:pk>/", disputes.DisputeDetailView.as_view(), name="dispute"),
    path(
        "disputes/<int:pk>/evidence/",
        disputes.DisputeEvidenceView.as_view(),
        name="dispute-evidence",
    ),
    path(
        "disputes/<int:pk>/respond/",
        disputes.DisputeRespondView.as_view(),
        name="dispute-respond",
    ),
    path(
        "disputes/<int:pk>/reverse/",
        disputes.DisputeReverseView.as_view(),
        name="dispute-reverse",
    ),
]
