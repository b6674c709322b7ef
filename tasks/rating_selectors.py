"""Reads of the workers' ratings of employers (``tasks.services.ratings``): an employer's
public list, a campaign's for its employer, one worker's, the reports waiting for moderators.
Every list is one query per page (its campaign joined), whatever its length."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import PUBLIC_STATUSES, Assignment, Campaign, EmployerRating


def ratings_visible() -> QuerySet[EmployerRating]:
    """Ratings not hidden by a moderator, newest first, each with its campaign's title."""
    return (
        EmployerRating.objects.filter(hidden_at__isnull=True)
        .select_related("campaign")
        .only(
            *(f.name for f in EmployerRating._meta.concrete_fields),
            "campaign__title",
            "campaign__employer_id",
            "campaign__groups",
        )
        .order_by("-created_at", "-id")
    )


def campaign_title_for(rating: EmployerRating, user) -> str:
    """The title of the rated campaign as ``user`` may read it: a private campaign's (open
    to chosen workers only) is for its employer, the rating's author and moderators; for
    anybody else, "" (the rating still counts and shows)."""
    campaign = rating.campaign
    if not campaign.groups or (
        user is not None
        and (user.pk in (campaign.employer_id, rating.worker_id) or user.is_moderator)
    ):
        return campaign.title
    return ""


def rated_employer(pk: int) -> User:
    """An employer whose ratings anybody signed in may read: one with a campaign workers know
    of (``PUBLIC_STATUSES``); 404 for any other user id, so ids reveal nobody."""
    return get_object_or_404(
        User.objects.filter(
            pk__in=Campaign.objects.filter(status__in=PUBLIC_STATUSES).values("employer_id")
        ),
        pk=pk,
    )


def employer_ratings(employer: User) -> QuerySet[EmployerRating]:
    """The employer's public ratings, with their answers, newest first."""
    return ratings_visible().filter(employer=employer)


def campaign_ratings(campaign: Campaign) -> QuerySet[EmployerRating]:
    """A campaign's visible ratings, for its employer to read and answer."""
    return ratings_visible().filter(campaign=campaign)


def campaign_worked(user: User, pk: int) -> Campaign:
    """A campaign ``user`` has work in (the one they may rate), with its employer; 404 for
    any other."""
    return get_object_or_404(
        Campaign.objects.filter(
            pk__in=Assignment.objects.filter(worker=user).values("campaign_id")
        ).select_related("employer"),
        pk=pk,
    )


def rating_by(*, campaign: Campaign, worker: User) -> EmployerRating | None:
    """``worker``'s rating of ``campaign``'s employer (hidden or not), if they gave one."""
    return EmployerRating.objects.filter(campaign=campaign, worker=worker).first()


def rating_visible_to(user: User, pk: int) -> EmployerRating:
    """A rating ``user`` may read: any visible one (ratings are public to signed-in users),
    a hidden one only for moderators; 404 otherwise."""
    ratings = EmployerRating.objects.select_related("campaign")
    if not user.is_moderator:
        ratings = ratings.filter(hidden_at__isnull=True)
    return get_object_or_404(ratings, pk=pk)


def rating_of_employer(user: User, pk: int) -> EmployerRating:
    """A visible rating of ``user``'s own campaigns; 404 otherwise."""
    return get_object_or_404(
        EmployerRating.objects.select_related("campaign"),
        pk=pk,
        employer=user,
        hidden_at__isnull=True,
    )


def ratings_reported(*, limit: int) -> list[EmployerRating]:
    """Reported ratings waiting for a moderator, oldest report first, with the worker, the
    employer, the reporter and the campaign: one query (the flags page)."""
    return list(
        EmployerRating.objects.filter(reported_at__isnull=False, hidden_at__isnull=True)
        .select_related("campaign", "worker", "employer", "reported_by")
        .order_by("reported_at", "id")[:limit]
    )
