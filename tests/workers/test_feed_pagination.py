"""The feed pages without a COUNT: one row more than the page says whether there is a next."""

import pytest

from workers import api as feed_api

from ..tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db


def test_feed_api_pages_by_number_without_counting(
    api_as, employer, worker, moderator, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(feed_api, "FEED_PAGE_SIZE", 1)
    for title in ("A", "B"):
        active_campaign(employer, moderator, title=title, reward_cents=50 if title == "A" else 60)
    client = api_as(worker)
    first = client.get("/api/v1/feed/").json()
    assert [item["title"] for item in first["results"]] == ["B"]
    assert first["previous"] is None and "page=2" in first["next"]
    assert "count" not in first
    second = client.get(first["next"]).json()
    assert [item["title"] for item in second["results"]] == ["A"]
    assert second["next"] is None and second["previous"]
    with django_assert_max_num_queries(4):  # token, the standing, the page, its employers
        client.get("/api/v1/feed/?page=2")


def test_feed_page_links_to_the_next_page(client, employer, worker, moderator, monkeypatch):
    from workers import views as worker_views

    monkeypatch.setattr(worker_views, "FEED_PAGE_SIZE", 1)
    active_campaign(employer, moderator, title="A")
    active_campaign(employer, moderator, title="B")
    client.force_login(worker)
    html = client.get("/work/").content.decode()
    assert "page=2" in html and "Page 1" in html
    assert "page=3" not in client.get("/work/?page=2").content.decode()
