"""Employers' statistics: a campaign's work per day (in the employer's time zone), reviews, median
times and money from the ledger, check-task accuracy; the dashboard across campaigns; the pages
and the API (the owner's only), in a number of queries that does not grow with the rows; the
server-drawn SVG charts well formed and escaped."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from unittest.mock import patch

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import moderator_grant
from core.charts import Bar, Part, Series, legend, share_bar, stacked_bars
from core.money import fee_for
from payments.selectors import ledger_violations
from tasks import services
from tasks.models import Campaign
from tasks.services import campaign_create
from tasks.services.bonuses import bonus_pay
from tasks.services.disputes import dispute_open
from tasks.statistics import Day, campaign_statistics, employer_dashboard
from workers.claims import task_claim

from ..factories import UserFactory
from ..module_db import module_transaction
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

ZONE = "Asia/Tokyo"  # UTC+9 all year; Kaaj's TIME_ZONE (Dhaka) would put a day elsewhere
NOW = dt.datetime(2026, 3, 12, 3, 0, tzinfo=dt.UTC)  # 12 March, noon in Tokyo
REWARD = 50
SVG = re.compile(r'<svg class="chart".*?</svg>', re.S)


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def work(campaign, worker, *, claim, submit, review=None, outcome=None):
    """``worker`` claims a task at ``claim``, sends proof at ``submit`` and, with an
    ``outcome`` (approve, reject), the employer reviews it at ``review``."""
    with at(claim), patch("workers.claims.gold_due", return_value=False):
        assignment = task_claim(campaign=campaign, worker=worker)
    with at(submit):
        services.assignment_submit(
            assignment=assignment, worker=worker, answers={"username": "karim"}, files={}
        )
    if outcome == "approve":
        with at(review):
            services.submission_approve(assignment=assignment, by=campaign.employer)
    elif outcome == "reject":
        with at(review):
            services.submission_reject(
                assignment=assignment, by=campaign.employer, reason="The name is not there."
            )
    return assignment


def gold_answer(campaign, worker, answer: str) -> None:
    with patch("workers.claims.gold_due", return_value=True):
        checked = task_claim(campaign=campaign, worker=worker)
    assert checked.is_gold
    services.assignment_submit(
        assignment=checked, worker=worker, answers={"username": answer}, files={}
    )


def with_checks(employer, moderator, *, title: str, positions: int, checks: int, **options):
    rows = [{"page": f"https://example.com/{n}", "_gold_username": ""} for n in range(positions)]
    rows += [
        {"page": f"https://example.com/k{n}", "_gold_username": "right"} for n in range(checks)
    ]
    return active_campaign(
        employer, moderator, title=title, positions=positions, task_inputs=tuple(rows),
        instructions="Visit {{page}} and sign up.", gold_rate=10, **options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Rahim's campaign "Sign up" with work on four days (times in UTC; Tokyo is UTC+9):

    ====  =============  ==========  ========  ========  ============================
    who   claimed        sent after  Tokyo day reviewed  outcome
    ====  =============  ==========  ========  ========  ============================
    W5    9 Mar 01:00    40 min      9 Mar     1 h       rejected
    W1    10 Mar 01:00   10 min      10 Mar    2 h       approved (and a bonus of 20)
    W2    10 Mar 15:40   20 min      11 Mar    4 h       rejected, disputed
    W3    11 Mar 01:00   30 min      11 Mar    6 h       approved
    W4    12 Mar 01:00   5 min       12 Mar    —         waiting
    ====  =============  ==========  ========  ========  ============================

    and two check tasks, W1 wrong and W3 right; a draft. Big Traders (another employer)
    has four campaigns, the first with twice Rahim's work and check tasks: what the
    query-count tests compare."""
    with module_transaction(django_db_blocker):
        moderator = moderator_grant(user=UserFactory(email="mod@example.com"))
        employer = UserFactory(
            email="rahim@example.com", display_name="Rahim Traders", time_zone=ZONE
        )
        outsider = UserFactory(email="someone@example.com", display_name="Someone Else")
        crew = [UserFactory(display_name=f"Worker {n}") for n in range(1, 6)]
        w1, w2, w3, w4, w5 = crew
        with at(utc(9, 0)):
            campaign = with_checks(
                employer, moderator, title="Sign up", positions=6, checks=2, max_tasks_per_worker=2
            )
        _, first, disputed, *_ = (
            work(campaign, who, claim=claim, submit=submit, review=review, outcome=outcome)
            for who, claim, submit, review, outcome in (
                (w5, utc(9, 1), utc(9, 1, 40), utc(9, 2, 40), "reject"),
                (w1, utc(10, 1), utc(10, 1, 10), utc(10, 3, 10), "approve"),
                (w2, utc(10, 15, 40), utc(10, 16), utc(10, 20), "reject"),
                (w3, utc(11, 1), utc(11, 1, 30), utc(11, 7, 30), "approve"),
                (w4, utc(12, 1), utc(12, 1, 5), None, None),
            )
        )
        with at(utc(10, 21)):
            dispute_open(assignment=disputed, by=w2, reason="My name is on the list.")
        with at(utc(10, 4)):
            bonus_pay(assignment=first, by=employer, amount_cents=20, reason="Quick!", key="b1")
        with at(utc(11, 10)):
            gold_answer(campaign, w1, "wrong")
            gold_answer(campaign, w3, "right")
        draft = campaign_create(employer=employer, spec=spec(title="A draft", positions=4))

        big = UserFactory(email="big@example.com", display_name="Big Traders", time_zone=ZONE)
        with at(utc(10, 0)):
            large = with_checks(
                big, moderator, title="Large", positions=12, checks=4, max_tasks_per_worker=3
            )
            others = [active_campaign(big, moderator, title=f"Other {n}") for n in range(3)]
        for n, worker in enumerate(crew * 2):
            outcome = ("approve", "reject", None)[n % 3]
            times = {"claim": utc(11, 1, n), "submit": utc(11, 1, 30 + n), "review": utc(11, 5)}
            work(large, worker, outcome=outcome, **times)
        with at(utc(11, 12)):
            for worker in crew[:4]:
                gold_answer(large, worker, "right")
        for n, other in enumerate(others):
            times = {"claim": utc(11, 1), "submit": utc(11, 1, 30), "review": utc(11, 3)}
            work(other, crew[n], outcome="approve", **times)
        assert ledger_violations() == []
        yield SimpleNamespace(
            employer=employer.pk,
            outsider=outsider.pk,
            big=big.pk,
            campaign=campaign.pk,
            draft=draft.pk,
            large=large.pk,
        )


def user(pk: int) -> User:
    return User.objects.get(pk=pk)


# --- the numbers ----------------------------------------------------------------------------


def test_a_campaigns_work_is_counted_by_the_employers_day(world):
    stats = campaign_statistics(Campaign.objects.get(pk=world.campaign), zone=ZONE, days=7, now=NOW)
    assert [(d.date.day, d.approved, d.rejected, d.undecided) for d in stats.days] == [
        (6, 0, 0, 0), (7, 0, 0, 0), (8, 0, 0, 0),
        (9, 0, 1, 0), (10, 1, 0, 0), (11, 1, 1, 0), (12, 0, 0, 1),
    ]  # fmt: skip
    # In Dhaka, W2's work (16:00 UTC) was sent on the 10th; check tasks are never counted.
    dhaka = campaign_statistics(
        Campaign.objects.get(pk=world.campaign), zone="Asia/Dhaka", days=3, now=NOW
    )
    assert [d.submitted for d in dhaka.days] == [2, 1, 1]


def test_a_campaigns_reviews_times_and_approval_rate(world):
    figures = campaign_statistics(
        Campaign.objects.get(pk=world.campaign), zone=ZONE, now=NOW
    ).figures
    assert (figures.approved, figures.rejected, figures.disputed, figures.waiting) == (2, 1, 1, 1)
    assert figures.approval_rate == 50  # 2 of 4 rated: the disputed one counts as rejected
    assert figures.median_to_complete == 20 * 60  # 5, 10, 20, 30, 40 minutes
    assert figures.median_to_review == 3 * 3600  # 1, 2, 4, 6 hours: halfway between 2 and 4
    assert (figures.positions, figures.positions_done) == (6, 2)


def test_a_campaigns_money_comes_from_its_escrow_and_bonuses(world):
    figures = campaign_statistics(
        Campaign.objects.get(pk=world.campaign), zone=ZONE, now=NOW
    ).figures
    fee = fee_for(REWARD)
    assert figures.paid_to_workers_cents == 2 * REWARD  # check tasks are paid by Kaaj
    assert figures.fees_cents == 2 * fee
    assert figures.spent_cents == 2 * (REWARD + fee)
    assert figures.escrow_cents == 4 * (REWARD + fee)
    assert figures.refunded_cents == 0
    assert figures.bonus_cents == 20 + fee_for(20)


def test_check_task_accuracy_adds_up_every_workers_answers(world):
    stats = campaign_statistics(Campaign.objects.get(pk=world.campaign), zone=ZONE, now=NOW)
    assert (stats.gold.answered, stats.gold.right, stats.gold.percent) == (2, 1, 50)
    draft = campaign_statistics(Campaign.objects.get(pk=world.draft), zone=ZONE, now=NOW)
    assert draft.gold is None
    assert draft.figures.escrow_cents == 0 and draft.figures.approval_rate is None


def test_the_dashboard_has_every_campaign_and_their_totals(world):
    dashboard = employer_dashboard(user(world.employer), zone=ZONE, days=7, now=NOW)
    assert [row.campaign.pk for row in dashboard.rows] == [world.draft, world.campaign]
    totals = dashboard.totals
    assert (totals.approved, totals.waiting, totals.positions, totals.positions_done) == (
        2, 1, 10, 2,
    )  # fmt: skip
    assert totals.escrow_cents == 4 * (REWARD + fee_for(REWARD))
    assert totals.approval_rate == 50 and totals.median_to_review is None
    assert sum(day.submitted for day in dashboard.days) == 5


def test_the_campaigns_statistics_take_a_fixed_number_of_queries(world, django_assert_num_queries):
    for pk in (world.campaign, world.large):  # twice the work, twice the check tasks
        campaign = Campaign.objects.get(pk=pk)
        with django_assert_num_queries(5):  # figures, days, check tasks (3)
            campaign_statistics(campaign, zone=ZONE, now=NOW)


def test_the_dashboard_takes_three_queries_however_many_campaigns(world, django_assert_num_queries):
    for pk in (world.employer, world.big):  # two campaigns, then four with more work
        employer = user(pk)
        with django_assert_num_queries(3):  # campaigns, figures, days
            employer_dashboard(employer, zone=ZONE, now=NOW)


def test_days_without_work_are_zeros():
    assert Day(dt.date(2026, 3, 1)).submitted == 0


# --- pages --------------------------------------------------------------------------------


def page_url(world) -> str:
    return reverse("tasks:campaign_statistics", args=[world.campaign])


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (Kaaj's own output, the thing under test)


def charts_of(html: str) -> list[ET.Element]:
    return [parse(svg) for svg in SVG.findall(html)]


def test_the_owner_sees_the_statistics_page_with_charts(client, world):
    client.force_login(user(world.employer))
    with at(NOW):
        response = client.get(page_url(world) + "?days=7")
    html = response.content.decode()
    assert response.status_code == 200
    charts = charts_of(html)
    assert len(charts) == 2
    ns = "{http://www.w3.org/2000/svg}"
    assert [chart.find(f"{ns}title").text for chart in charts] == [
        "Submissions per day",
        "Spent and in escrow",
    ]
    day_bars = charts[0].findall(f"{ns}g")
    assert len(day_bars) == 7
    assert day_bars[5].find(f"{ns}title").text == "11 Mar: 2 sent, 1 approved, 1 rejected"
    assert len(day_bars[5].findall(f"{ns}rect")) == 2
    assert "50%" in html and "20 minutes" in html and "3 hours" in html
    assert "1 of 2 right (50%)" in html
    assert 'aria-current="page">7 days' in html
    assert "Asia/Tokyo" in html


def test_the_statistics_page_is_the_owners_only(client, world):
    url = page_url(world)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(user(world.outsider))
    assert client.get(url).status_code == 404
    client.force_login(user(world.big))
    assert client.get(url).status_code == 404


def test_the_dashboard_lists_the_employers_campaigns_only(client, world):
    url = reverse("tasks:employer_statistics")
    assert client.get(url).status_code == 302
    client.force_login(user(world.employer))
    with at(NOW):
        html = client.get(url).content.decode()
    assert reverse("tasks:campaign_statistics", args=[world.campaign]) in html
    assert reverse("tasks:campaign_statistics", args=[world.draft]) in html
    assert reverse("tasks:campaign_statistics", args=[world.large]) not in html
    assert len(charts_of(html)) == 2
    client.force_login(user(world.outsider))
    assert "No campaign yet" in client.get(url).content.decode()


def test_the_pages_link_to_the_statistics(client, world):
    client.force_login(user(world.employer))
    manage = client.get(reverse("tasks:campaign_manage", args=[world.campaign]))
    assert page_url(world) in manage.content.decode()
    mine = client.get(reverse("tasks:my_campaigns"))
    assert reverse("tasks:employer_statistics") in mine.content.decode()


def test_an_unknown_span_shows_the_default_one(client, world):
    client.force_login(user(world.employer))
    with at(NOW):
        html = client.get(page_url(world) + "?days=5").content.decode()
    assert 'aria-current="page">14 days' in html


def count_queries(client, url: str) -> int:
    with at(NOW), CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pages_queries_do_not_grow_with_the_rows(client, world):
    client.force_login(user(world.employer))
    small = count_queries(client, page_url(world))
    dashboard_small = count_queries(client, reverse("tasks:employer_statistics"))
    client.force_login(user(world.big))
    large = count_queries(client, reverse("tasks:campaign_statistics", args=[world.large]))
    dashboard_large = count_queries(client, reverse("tasks:employer_statistics"))
    assert small == large
    assert dashboard_small == dashboard_large


# --- API ----------------------------------------------------------------------------------


def test_the_api_gives_a_campaigns_statistics(api_as, world):
    with at(NOW):
        response = api_as(user(world.employer)).get(
            f"/api/v1/campaigns/{world.campaign}/statistics/?days=7"
        )
    assert response.status_code == 200
    body = response.json()
    assert body["campaign"] == world.campaign and body["time_zone"] == ZONE
    assert body["days"][3] == {
        "date": "2026-03-09", "submitted": 1, "approved": 0, "rejected": 1, "undecided": 0,
    }  # fmt: skip
    figures = body["figures"]
    assert figures["approval_rate"] == 50
    assert figures["median_time_to_complete_seconds"] == 1200
    assert figures["median_time_to_review_seconds"] == 10800
    assert figures["spent_cents"] == 2 * (REWARD + fee_for(REWARD))
    assert figures["escrow_cents"] == 4 * (REWARD + fee_for(REWARD))
    assert body["gold_accuracy"] == {"answered": 2, "right": 1, "percent": 50}


def test_the_api_answers_404_for_anybody_elses_campaign(api_as, world):
    response = api_as(user(world.outsider)).get(f"/api/v1/campaigns/{world.campaign}/statistics/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "detail"}


def test_the_api_refuses_a_span_it_does_not_offer(api_as, world):
    response = api_as(user(world.employer)).get(
        f"/api/v1/campaigns/{world.campaign}/statistics/?days=5"
    )
    assert response.status_code == 400 and "code" in response.json()


def test_the_api_gives_the_dashboard(api_as, world):
    with at(NOW):
        body = api_as(user(world.employer)).get("/api/v1/statistics/").json()
    assert [row["id"] for row in body["campaigns"]] == [world.draft, world.campaign]
    assert body["totals"]["waiting"] == 1 and "median_time_to_review_seconds" not in body["totals"]
    assert len(body["days"]) == 14 and sum(day["submitted"] for day in body["days"]) == 5


def test_the_apis_queries_do_not_grow_with_the_rows(api_as, world):
    def count(pk: int, url: str) -> int:
        client = api_as(user(pk))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count(world.employer, f"/api/v1/campaigns/{world.campaign}/statistics/")
    large = count(world.big, f"/api/v1/campaigns/{world.large}/statistics/")
    assert small == large
    assert count(world.employer, "/api/v1/statistics/") == count(world.big, "/api/v1/statistics/")


# --- the charts ---------------------------------------------------------------------------


def test_charts_are_well_formed_svg_with_every_text_escaped():
    series = [Series("Fine & <good>", "approved"), Series('"Bad"', "rejected")]
    bars = [Bar((n, n % 2), f"<{n}>", f"day {n} & more") for n in range(30)]
    svg = stacked_bars(title="A <b>title</b>", description="x < y", series=series, bars=bars)
    tree = parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.get("viewBox") == "0 0 360 180" and tree.get("width") == "100%"
    assert tree.find(f"{ns}title").text == "A <b>title</b>"
    assert tree.find(f"{ns}desc").text == "x < y"
    labels = [t.text for t in tree.findall(f"{ns}text")]
    assert "<29>" in labels and "<0>" not in labels  # about five labels, the last one always
    assert all(float(r.get("height")) >= 0 for r in tree.iter(f"{ns}rect"))
    share = parse(share_bar(title="t", description="d", parts=[Part(series[0], 3)]))
    assert share.find(f"{ns}rect[@class='chart-approved']").get("width") == "360"
    empty = parse(share_bar(title="t", description="d", parts=[Part(series[0], 0)]))
    assert len(empty.findall(f"{ns}rect")) == 1  # the outline alone
    assert "Fine &amp; &lt;good&gt;" in legend([(series[0], "$1 <")])


def test_a_chart_of_nothing_has_an_axis_to_one():
    svg = stacked_bars(
        title="t", description="d", series=[Series("a", "approved")], bars=[Bar((0,), "", "")]
    )
    texts = [t.text for t in parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["0", "1"]
