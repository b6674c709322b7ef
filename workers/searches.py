"""A worker's saved searches of the feed: kept under a name (at most SAVED_SEARCHES_MAX), run
again from the feed, and matched against each campaign that goes live.

Matching (:func:`saved_search_matches`) is two steps. First ONE query finds the saved
searches whose filters the campaign meets — category, reward range, and the words (each
search's query against the campaign's text, ``tasks.search``, in the database). Then each
such worker's standing is read (one query each) and the campaign is kept only where a claim
would be allowed (``workers.eligibility``): a worker hears only of work they may take, and
never of a private campaign that is not for them. A worker with several matching searches is
told once, under the first by name. ``notifications`` runs it after the campaign goes live.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from core.money import amount_text
from tasks.models import Campaign, CampaignText, Category
from tasks.search import search_query

from .eligibility import claim_refusal, standing_read
from .models import SavedSearch
from .selectors import FeedFilters

SAVED_SEARCHES_MAX = 10
SAVED_SEARCH_NAME_MAX_CHARS = 60


def saved_search_query(search: SavedSearch) -> str:
    """The feed page's query string that runs ``search`` (its form's names and formats)."""
    values = {
        "q": search.q,
        "category": search.category.slug if search.category_id else "",
        "min_reward": ""
        if search.min_reward_cents is None
        else amount_text(search.min_reward_cents),
        "max_reward": ""
        if search.max_reward_cents is None
        else amount_text(search.max_reward_cents),
        "hide_done": "on" if search.hide_done else "",
    }
    return urlencode({key: value for key, value in values.items() if value})


@transaction.atomic
def saved_search_save(*, worker: User, name: str, filters: FeedFilters) -> SavedSearch:
    """Keep ``filters`` under ``name``; the same name again replaces that search's filters.
    Refused (400 unless said, nothing written): ``invalid`` for a missing or long name, a
    category Kaaj does not have, or a search that narrows nothing; ``limit_reached`` (409)
    past SAVED_SEARCHES_MAX."""
    name = " ".join(name.split())
    if not name or len(name) > SAVED_SEARCH_NAME_MAX_CHARS:
        raise DomainError(
            "invalid",
            _("Name the search in 1 to %(n)s characters.") % {"n": SAVED_SEARCH_NAME_MAX_CHARS},
            field="name",
        )
    if filters.is_empty:
        raise DomainError(
            "invalid",
            _("Choose words, a category or a reward first: this search is the whole feed."),
            field="q",
        )
    category = None
    if filters.category:
        category = Category.objects.filter(slug=filters.category).first()
        if category is None:
            raise DomainError("invalid", _("That is not a category."), field="category")
    User.objects.select_for_update().filter(pk=worker.pk).first()  # the count below
    values = {
        "q": filters.q.strip(),
        "category": category,
        "min_reward_cents": filters.min_reward_cents,
        "max_reward_cents": filters.max_reward_cents,
        "hide_done": filters.hide_done,
    }
    existing = SavedSearch.objects.filter(worker=worker, name=name).first()
    if existing is not None:
        SavedSearch.objects.filter(pk=existing.pk).update(**values)
        existing.refresh_from_db()
        return existing
    if SavedSearch.objects.filter(worker=worker).count() >= SAVED_SEARCHES_MAX:
        raise DomainError(
            "limit_reached",
            _("You keep %(n)s searches, as many as Kaaj keeps: delete one first.")
            % {"n": SAVED_SEARCHES_MAX},
            status=409,
        )
    return SavedSearch.objects.create(worker=worker, name=name, **values)


def saved_search_delete(*, search: SavedSearch, by: User) -> None:
    """Delete one of ``by``'s saved searches (404 for anybody else's)."""
    if search.worker_id != by.pk:
        raise not_found()
    SavedSearch.objects.filter(pk=search.pk).delete()


def saved_searches_of(worker: User):
    """The worker's saved searches, by name, each with its category (one query)."""
    return SavedSearch.objects.filter(worker=worker).select_related("category")


def saved_search_links(worker: User) -> list[tuple[SavedSearch, str]]:
    """Each saved search with the feed's query string that runs it."""
    return [(search, saved_search_query(search)) for search in saved_searches_of(worker)]


def saved_search_of(worker: User, pk: int) -> SavedSearch:
    found = saved_searches_of(worker).filter(pk=pk).first()
    if found is None:
        raise not_found()
    return found


@dataclass(frozen=True)
class Match:
    search: SavedSearch
    worker: User


# Saved searches whose words are checked against a campaign in one query.
WORDS_CHUNK = 100


def _words_match(campaign_id: int, searches: list[SavedSearch]) -> set[int]:
    """The ids of those ``searches`` whose words the campaign's text has: one query per
    WORDS_CHUNK of them, each search an EXISTS of its own query."""
    queries = [(s.pk, q) for s in searches if (q := search_query(s.q)) is not None]
    text = CampaignText.objects.filter(campaign_id=campaign_id)
    found: set[int] = set()
    for start in range(0, len(queries), WORDS_CHUNK):
        chunk = queries[start : start + WORDS_CHUNK]
        hits = (
            Campaign.objects.filter(pk=campaign_id)
            .values(**{f"s{pk}": Exists(text.filter(vector=query)) for pk, query in chunk})
            .first()
        ) or {}
        found.update(int(key[1:]) for key, hit in hits.items() if hit)
    return found


def saved_search_matches(campaign: Campaign, *, now=None) -> list[Match]:
    """The saved searches ``campaign`` meets whose worker may claim from it now, one per
    worker (see the module's docstring for the queries)."""
    now = now or timezone.now()
    candidates = list(
        SavedSearch.objects.filter(
            Q(category_id=campaign.category_id) | Q(category__isnull=True),
            Q(min_reward_cents__isnull=True) | Q(min_reward_cents__lte=campaign.reward_cents),
            Q(max_reward_cents__isnull=True) | Q(max_reward_cents__gte=campaign.reward_cents),
        )
        .exclude(worker_id=campaign.employer_id)
        .select_related("worker")
        .order_by("worker_id", "name", "id")
    )
    worded = _words_match(campaign.pk, candidates)
    matches: dict[int, Match] = {}
    for search in candidates:
        if search.worker_id in matches:
            continue
        if search.q.strip() and search.pk not in worded:
            continue  # words the campaign lacks (or none searchable: nothing matches them)
        standing = standing_read(search.worker, scope=campaign.pk, now=now)
        if claim_refusal(campaign, standing, now) is None:
            matches[search.worker_id] = Match(search, search.worker)
    return list(matches.values())
