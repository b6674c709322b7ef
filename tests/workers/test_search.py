"""The worker's feed, searched and narrowed: words in English and Bengali (PostgreSQL full
text, tasks.search), category, reward range, campaigns not worked on yet — the same through
the page and the API — and saved searches that tell the worker when a new campaign matches.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.events import saved_searches_matched
from notifications.models import Notification, NotificationKind
from tasks.search import query_words, search_query
from tasks.services import campaign_create, campaign_launch, campaign_moderate
from tasks.services.groups import group_create, group_member_add
from workers.claims import task_claim
from workers.models import SavedSearch
from workers.searches import SAVED_SEARCHES_MAX, saved_search_matches, saved_search_save
from workers.selectors import FeedFilters, feed

from ..factories import UserFactory
from ..payments.helpers import give
from ..refusals import refused
from ..tasks.helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

BANGLA = "ফেসবুক পেজে লাইক দিন এবং স্ক্রিনশট পাঠান।"


@pytest.fixture
def campaigns(employer, moderator):
    """Four live campaigns: English and Bengali words, two categories, rewards 10 to 80."""
    return {
        "videos": active_campaign(
            employer, moderator, title="Watch our videos", reward_cents=30,
            instructions="Watching three videos to the end, then tell us the last word.",
            category=_category("watch-video"),
        ),
        "bangla": active_campaign(
            employer, moderator, title="পেজ লাইক", instructions=BANGLA, reward_cents=10,
            category=_category("social-share"),
        ),
        "review": active_campaign(
            employer, moderator, title="Write a review", reward_cents=80,
            instructions="Reviewing our shop: two sentences about the delivery.",
        ),
        "signup": active_campaign(
            employer, moderator, title="Sign up", reward_cents=50, max_tasks_per_worker=3,
            instructions="Open https://example.com and sign up with your email address.",
        ),
    }  # fmt: skip


def _category(slug):
    from tasks.models import Category

    return Category.objects.filter(slug=slug).first() or Category.objects.get(slug="sign-up")


def titles(worker, **filters) -> set[str]:
    return {c.title for c in feed(worker=worker, filters=FeedFilters(**filters))}


# --- the words -----------------------------------------------------------------------------------


def test_query_words_keep_letters_marks_and_digits_only():
    assert query_words("  Watch, WATCH & 'videos':* | !x ") == ["watch", "videos", "x"]
    assert query_words("ফেসবুক পেজে!") == ["ফেসবুক", "পেজে"]  # vowel signs and virama kept
    assert query_words("a b c d e f g h i j") == list("abcdefgh")
    assert search_query("  &|!:*'() ") is None
    assert search_query("") is None


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("video", {"Watch our videos"}),
        ("watched", {"Watch our videos"}),  # English stems: watched → watch
        ("revie", {"Write a review"}),  # a prefix
        ("REVIEWS delivery", {"Write a review"}),
        ("review video", set()),  # every word must be there
        ("ফেসবুক", {"পেজ লাইক"}),
        ("পেজ", {"পেজ লাইক"}),  # পেজে begins with পেজ: the prefix stands in for a stemmer
        ("স্ক্রিনশট লাইক", {"পেজ লাইক"}),
        ("email example.com", {"Sign up"}),
        ("'x':* | !", set()),  # punctuation is never tsquery syntax: the word x, in none
        ("!!", {"Watch our videos", "পেজ লাইক", "Write a review", "Sign up"}),  # no words
    ],
)
def test_words_find_campaigns_in_english_and_bengali(campaigns, worker, words, found):
    assert titles(worker, q=words) == found


def test_category_reward_range_and_work_done_narrow_the_feed(campaigns, worker, employer):
    assert titles(worker, min_reward_cents=30, max_reward_cents=50) == {
        "Watch our videos",
        "Sign up",
    }
    assert titles(worker, min_reward_cents=81) == set()
    assert titles(worker, category="sign-up", max_reward_cents=60) >= {"Sign up"}
    task_claim(campaign=campaigns["signup"], worker=worker)
    assert "Sign up" in titles(worker)
    assert "Sign up" not in titles(worker, hide_done=True)
    with refused("invalid") as caught:
        FeedFilters(min_reward_cents=50, max_reward_cents=10)
    assert caught.value.field == "max_reward_cents"


def test_the_api_takes_the_same_filters_and_refuses_an_upside_down_range(api_as, campaigns, worker):
    api = api_as(worker)
    found = api.get("/api/v1/feed/", {"q": "ফেসবুক"}).json()["results"]
    assert [c["title"] for c in found] == ["পেজ লাইক"]
    ranged = api.get("/api/v1/feed/", {"min_reward_cents": 50, "max_reward_cents": 80})
    assert [c["title"] for c in ranged.json()["results"]] == ["Write a review", "Sign up"]
    upside = api.get("/api/v1/feed/", {"min_reward_cents": 50, "max_reward_cents": 10})
    assert upside.status_code == 400 and upside.json()["code"] == "invalid"
    long = api.get("/api/v1/feed/", {"q": "x" * 101})
    assert long.status_code == 400


def test_the_page_searches_and_says_what_is_wrong_next_to_the_field(client, campaigns, worker):
    client.force_login(worker)
    page = client.get("/work/", {"q": "review"}).content.decode()
    assert "Write a review" in page and "Watch our videos" not in page
    assert 'value="review"' in page
    wrong = client.get("/work/", {"min_reward": "0.50", "max_reward": "0.10", "q": "sign"})
    text = wrong.content.decode()
    assert wrong.status_code == 400
    assert 'id="id_max_reward_errors"' in text and "must not be below the lowest" in text
    assert "Sign up" in text  # the words still apply
    bad = client.get("/work/", {"min_reward": "lots"})
    assert bad.status_code == 400 and "Enter an amount" in bad.content.decode()


def test_a_search_costs_one_query_more_than_browsing_whatever_it_finds(
    client, campaigns, worker, employer, moderator
):
    client.force_login(worker)
    client.get("/work/")

    def count(**query) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/work/", query)
        assert page.status_code == 200 and "Watch our videos" in page.text
        return len(queries)

    plain = count()
    searched = count(q="video", min_reward="0.10", hide_done="on", category="watch-video")
    assert searched == plain + 1  # the matching campaigns' ids (workers.selectors._words)
    for n in range(3):
        active_campaign(employer, moderator, title=f"More videos {n}", reward_cents=20)
    assert count(q="video", min_reward="0.10", hide_done="on") == searched


def test_many_matches_and_few_take_the_same_campaigns(campaigns, worker, monkeypatch):
    few = titles(worker, q="review")
    monkeypatch.setattr("workers.selectors.FEW_MATCHES", 0)  # every search has "many"
    assert titles(worker, q="review") == few == {"Write a review"}
    assert titles(worker, q="ফেসবুক পেজ") == {"পেজ লাইক"}


# --- saved searches ------------------------------------------------------------------------------


def test_a_saved_search_is_named_once_and_replaced_by_name(worker, monkeypatch):
    first = saved_search_save(worker=worker, name="Bangla", filters=FeedFilters(q="ফেসবুক"))
    again = saved_search_save(
        worker=worker, name=" Bangla ", filters=FeedFilters(q="পেজ", min_reward_cents=10)
    )
    assert again.pk == first.pk and (again.q, again.min_reward_cents) == ("পেজ", 10)
    with refused("invalid"):
        saved_search_save(worker=worker, name="All", filters=FeedFilters())
    with refused("invalid"):
        saved_search_save(worker=worker, name=" ", filters=FeedFilters(q="x"))
    with refused("invalid"):
        saved_search_save(worker=worker, name="Nowhere", filters=FeedFilters(category="nope"))
    monkeypatch.setattr("workers.searches.SAVED_SEARCHES_MAX", 1)
    with refused("limit_reached"):
        saved_search_save(worker=worker, name="Second", filters=FeedFilters(q="x"))
    assert SAVED_SEARCHES_MAX == 10


def test_the_feed_page_saves_lists_and_deletes_searches(client, campaigns, worker, outsider):
    client.force_login(worker)
    page = client.get("/work/", {"q": "review"}).content.decode()
    assert "Save this search" in page and 'name="q" value="review"' in page
    saved = client.post(
        "/work/searches/save/", {"q": "review", "min_reward": "0.50", "name": "Reviews"}
    )
    assert saved.status_code == 302 and "q=review" in saved["Location"]
    search = SavedSearch.objects.get(worker=worker)
    assert (search.name, search.q, search.min_reward_cents) == ("Reviews", "review", 50)
    feed_page = client.get("/work/").content.decode()
    assert "Reviews" in feed_page and "q=review&amp;min_reward=0.50" in feed_page
    assert "Save this search" not in feed_page  # nothing to save without filters
    assert "Reviews" in client.get("/work/searches/").content.decode()
    nothing = client.post("/work/searches/save/", {"name": "Everything"}, follow=True)
    assert "this search is the whole feed" in nothing.content.decode()
    client.force_login(outsider)
    assert client.post(f"/work/searches/{search.pk}/delete/").status_code == 404
    client.force_login(worker)
    assert client.post(f"/work/searches/{search.pk}/delete/").status_code == 302
    assert not SavedSearch.objects.exists()


def test_the_api_saves_lists_and_deletes_searches(api_as, worker, outsider):
    api = api_as(worker)
    body = {"name": "Videos", "q": "video", "category": "watch-video", "max_reward_cents": 100}
    made = api.post("/api/v1/saved-searches/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["q"] == "video" and made.json()["max_reward_cents"] == 100
    empty = api.post("/api/v1/saved-searches/", {"name": "All"}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "invalid"
    upside = {"name": "X", "min_reward_cents": 9, "max_reward_cents": 1}
    assert api.post("/api/v1/saved-searches/", upside, format="json").status_code == 400
    assert [s["name"] for s in api.get("/api/v1/saved-searches/").json()["results"]] == ["Videos"]
    pk = made.json()["id"]
    assert api_as(outsider).delete(f"/api/v1/saved-searches/{pk}/").status_code == 404
    assert api_as(worker).delete(f"/api/v1/saved-searches/{pk}/").status_code == 204


def _launch(employer, moderator, **overrides):
    give(employer, 10_000, key=f"launch-{overrides.get('title', 'x')}")
    campaign = campaign_launch(
        campaign=campaign_create(employer=employer, spec=spec(**overrides)), by=employer
    )
    return campaign_moderate(campaign=campaign, by=moderator, approve=True)


def test_a_live_campaign_tells_the_workers_whose_search_it_meets_once(
    employer, worker, outsider, moderator
):
    saved_search_save(worker=worker, name="Reviews", filters=FeedFilters(q="review shop"))
    saved_search_save(worker=worker, name="Any rich", filters=FeedFilters(min_reward_cents=60))
    saved_search_save(worker=outsider, name="Videos", filters=FeedFilters(q="video"))
    far = UserFactory(email="far@example.com", country="IN")
    saved_search_save(worker=far, name="Reviews", filters=FeedFilters(q="review"))
    campaign = _launch(
        employer, moderator, title="Write a review", reward_cents=70,
        instructions="Reviewing our shop: two sentences.", countries_include=("BD",),
    )  # fmt: skip
    worker.country = "BD"
    worker.save(update_fields=["country"])
    matches = saved_search_matches(campaign)
    # One notice per worker (under the first search by name); not the outsider (no video),
    # not the worker outside the campaign's countries.
    assert [(m.worker, m.search.name) for m in matches] == [(worker, "Any rich")]
    assert saved_searches_matched(campaign_id=campaign.pk) == 1
    assert saved_searches_matched(campaign_id=campaign.pk) == 1  # the job twice: told once
    told = Notification.objects.filter(kind=NotificationKind.SEARCH_MATCHED)
    assert [(n.user, n.params["search_name"]) for n in told] == [(worker, "Any rich")]
    assert told[0].url == f"/work/campaigns/{campaign.pk}/"


def test_saved_searches_never_reveal_a_private_campaign(employer, worker, outsider, moderator):
    group = group_create(owner=employer, name="Trusted")
    group_member_add(group=group, worker=worker, by=employer)
    for who in (worker, outsider):
        saved_search_save(worker=who, name="Surveys", filters=FeedFilters(q="survey"))
    campaign = _launch(
        employer, moderator, title="Private survey", instructions="Five questions.",
        groups=(group.pk,),
    )  # fmt: skip
    assert {m.worker for m in saved_search_matches(campaign)} == {worker}
    # Its members hear of it as chosen workers, not as a search match.
    assert not Notification.objects.filter(kind=NotificationKind.SEARCH_MATCHED).exists()
    assert Notification.objects.get(kind=NotificationKind.PRIVATE_CAMPAIGN).user == worker


def test_postgresql_keeps_each_campaigns_words_as_its_title_and_instructions_change(
    employer, worker
):
    from tasks.models import Campaign, CampaignText

    give(employer, 1_000, key="words")
    draft = campaign_create(employer=employer, spec=spec(title="Tag photos"))
    assert CampaignText.objects.filter(campaign=draft).exists()  # written on insert
    Campaign.objects.filter(pk=draft.pk).update(title="Label pictures")
    matches = CampaignText.objects.filter(campaign=draft)
    assert matches.filter(vector=search_query("label")).exists()
    assert not matches.filter(vector=search_query("tag")).exists()


def test_saved_search_lists_cost_the_same_however_many(client, api_as, worker):
    api = api_as(worker)
    client.force_login(worker)

    def counts() -> tuple[int, ...]:
        sizes = []
        for fetch in (
            lambda: api.get("/api/v1/saved-searches/"),
            lambda: client.get("/work/searches/"),
            lambda: client.get("/work/"),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert fetch().status_code == 200
            sizes.append(len(queries))
        return tuple(sizes)

    saved_search_save(worker=worker, name="One", filters=FeedFilters(q="one", category="survey"))
    one = counts()
    for n in range(4):
        saved_search_save(
            worker=worker, name=f"More {n}", filters=FeedFilters(q=f"w{n}", category="survey")
        )
    assert counts() == one
