"""Fair ratings: a worker rates a campaign's employer once the employer decided on their work
(pay fairness, clarity, speed of review; one rating per worker per campaign, changed for a
week), the employer answers, anybody but the author reports an abusive one, a moderator
hides it or keeps it; the feed shows each employer's average beside the approval rate —
through the services, the API and the pages, in a fixed number of queries."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import ModerationAction, User
from accounts.services import moderator_grant
from notifications.models import Notification, NotificationKind
from tasks import services
from tasks.models import Assignment, AssignmentStatus, Campaign, EmployerRating
from tasks.rating_selectors import employer_ratings, ratings_reported
from tasks.selectors import employer_stats, employer_stats_attach
from tasks.services.ratings import (
    rating_answer,
    rating_hide,
    rating_keep,
    rating_report,
    rating_save,
)
from workers.claims import task_claim

from ..factories import UserFactory, two_step_on
from ..module_db import module_transaction
from ..payments.helpers import run_together
from ..refusals import refused
from .api_helpers import submitted
from .helpers import active_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """An employer's campaign with three workers' work: approved (Karim), rejected (Jamal),
    sent and waiting (Nadia); a second campaign of theirs; a moderator; an outsider. Built
    once; each test runs in a savepoint rolled back after it, and only ids are kept here."""
    with module_transaction(django_db_blocker):
        employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders")
        moderator = two_step_on(moderator_grant(user=UserFactory(email="mod@example.com")))
        karim, jamal, nadia = (UserFactory(display_name=n) for n in ("Karim", "Jamal", "Nadia"))
        outsider = UserFactory(email="someone@example.com", display_name="Someone Else")
        campaign = active_campaign(employer, moderator, title="Review me", positions=5)
        approved = submitted(employer, karim, moderator, campaign=campaign)
        services.submission_approve(assignment=approved, by=employer)
        rejected = submitted(employer, jamal, moderator, campaign=campaign)
        services.submission_reject(assignment=rejected, by=employer, reason="Wrong username")
        waiting = submitted(employer, nadia, moderator, campaign=campaign)
        other = active_campaign(employer, moderator, title="Follow us", positions=2)
        yield SimpleNamespace(
            employer=employer.pk,
            moderator=moderator.pk,
            karim=karim.pk,
            jamal=jamal.pk,
            nadia=nadia.pk,
            outsider=outsider.pk,
            campaign=campaign.pk,
            other=other.pk,
            approved=approved.pk,
            rejected=rejected.pk,
            waiting=waiting.pk,
        )


def user(pk: int) -> User:
    return User.objects.get(pk=pk)


def rate(world, who="karim", campaign=None, pay=4, clarity=5, speed=3, comment="Fair pay"):
    return rating_save(
        campaign=Campaign.objects.get(pk=campaign or world.campaign),
        worker=user(getattr(world, who)),
        pay=pay,
        clarity=clarity,
        speed=speed,
        comment=comment,
    )


def stats_of(world):
    return employer_stats([world.employer])[world.employer]


def _rated_by_many(world, n: int) -> None:
    """``n`` more workers whose work on the second campaign was approved, each rating it."""
    employer, campaign = user(world.employer), Campaign.objects.get(pk=world.other)
    campaign.max_tasks_per_worker = 1
    for i in range(n):
        worker = UserFactory(display_name=f"Rater {i}")
        assignment = task_claim(campaign=campaign, worker=worker)
        services.assignment_submit(
            assignment=assignment, worker=worker, answers={"username": "x"}, files={}
        )
        services.submission_approve(assignment=assignment, by=employer)
        rating, _created = rating_save(
            campaign=campaign, worker=worker, pay=3, clarity=3, speed=3, comment=f"No. {i}"
        )
        rating_answer(rating=rating, by=employer, answer=f"Answer {i}")


class TestRatings:
    """Every test on the shared world (built once for the class: the race below needs a
    database without the class's open transaction, so it runs outside it)."""

    # --- the rules --------------------------------------------------------------------------------

    def test_a_worker_rates_once_the_employer_decided_and_the_employer_is_told(self, world):
        rating, created = rate(world)
        assert created and (rating.pay, rating.clarity, rating.speed) == (4, 5, 3)
        assert rating.employer_id == world.employer and rating.average == 4
        notice = Notification.objects.get(
            user_id=world.employer, kind=NotificationKind.EMPLOYER_RATED
        )
        assert notice.params == {"average": "4.0", "campaign_title": "Review me"}
        assert reverse("tasks:campaign_ratings", args=[world.campaign]) in notice.url
        _rating, created = rate(world, who="jamal", pay=1)  # a rejection is a decision too
        assert created

    def test_no_rating_before_a_decision_nor_of_oneself_nor_without_work(self, world):
        with refused("not_decided"):
            rate(world, who="nadia")  # sent, not yet reviewed
        with refused("not_decided"):
            rate(world, who="outsider")
        with refused("not_decided"):
            rate(world, who="karim", campaign=world.other)  # no work of theirs there
        with refused("own_campaign"):
            rate(world, who="employer")
        assert not EmployerRating.objects.exists()

    def test_a_check_task_decided_by_kaaj_does_not_let_a_worker_rate(self, world):
        """Kaaj decides a check task against its expected answer, never the employer: it says
        nothing of their pay, clarity or speed of review."""
        Assignment.objects.filter(pk=world.waiting).update(
            status=AssignmentStatus.APPROVED, is_gold=True
        )
        with refused("not_decided"):
            rate(world, who="nadia")
        Assignment.objects.filter(pk=world.rejected).update(status=AssignmentStatus.DISPUTED)
        assert rate(world, who="jamal")[1]  # disputed: the employer had rejected it

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"pay": 0}, "pay"),
            ({"clarity": 6}, "clarity"),
            ({"speed": None}, "speed"),
            ({"comment": "x" * 1001}, "comment"),
        ],
    )
    def test_a_bad_rating_is_refused_and_writes_nothing(self, world, changes, field):
        with refused("invalid") as caught:
            rate(world, **changes)
        assert caught.value.field == field
        assert not EmployerRating.objects.exists()

    def test_a_rating_changes_for_a_week_then_no_more_and_the_employer_is_told_once(self, world):
        rating, _created = rate(world)
        with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
            again, created = rate(world, pay=2, comment="  Slow pay after all  ")
        assert not created and again.pk == rating.pk
        rating.refresh_from_db()
        assert (rating.pay, rating.comment) == (2, "Slow pay after all")
        assert rating.updated_at > rating.created_at
        later = timezone.now() + timedelta(days=7, minutes=1)
        with time_machine.travel(later), refused("edit_window_closed"):
            rate(world, pay=5)
        assert EmployerRating.objects.get().pay == 2
        assert Notification.objects.filter(kind=NotificationKind.EMPLOYER_RATED).count() == 1

    # --- averages ---------------------------------------------------------------------------------

    def test_the_average_is_the_mean_of_the_three_scores_over_visible_ratings(self, world):
        assert (stats_of(world).rating_count, stats_of(world).rating_average) == (0, None)
        rate(world, pay=4, clarity=5, speed=3)  # 4.0
        low, _created = rate(world, who="jamal", pay=1, clarity=2, speed=2)  # 1.67
        stats = stats_of(world)
        assert (stats.rating_count, stats.rating_average) == (2, 2.8)  # (12 + 5) / 6
        assert stats.approval_rate == 50  # the record as before
        rating_hide(rating=low, by=user(world.moderator), reason="Insults")
        stats = stats_of(world)
        assert (stats.rating_count, stats.rating_average) == (1, 4.0)

    def test_a_rating_forgets_the_cached_record_and_it_is_one_query_again(
        self, world, django_assert_num_queries
    ):
        campaign = Campaign.objects.get(pk=world.campaign)
        employer_stats_attach([campaign])
        with django_assert_num_queries(0):
            assert employer_stats_attach([campaign])[0].employer_stats.rating_count == 0
        rating, _created = rate(world)
        with django_assert_num_queries(1):  # the rating forgot it: work and ratings, one query
            assert employer_stats_attach([campaign])[0].employer_stats.rating_count == 1
        rating_hide(rating=rating, by=user(world.moderator), reason="Spam")
        with django_assert_num_queries(1):
            assert employer_stats_attach([campaign])[0].employer_stats.rating_count == 0

    # --- answers ----------------------------------------------------------------------------------

    def test_the_employer_answers_once_and_may_change_it_for_a_week(self, world):
        rating, _created = rate(world)
        employer = user(world.employer)
        with refused("answer_required"):
            rating_answer(rating=rating, by=employer, answer="   ")
        with refused("not_found"):
            rating_answer(rating=rating, by=user(world.outsider), answer="Hello")
        rating_answer(rating=rating, by=employer, answer="Thank you, Karim")
        first = EmployerRating.objects.get().answered_at
        with time_machine.travel(timezone.now() + timedelta(days=6)):
            rating_answer(rating=rating, by=employer, answer="Thank you!")
        row = EmployerRating.objects.get()
        assert (row.answer, row.answered_at) == ("Thank you!", first)
        # The worker heard of the answer once, not of its change.
        told = Notification.objects.filter(kind=NotificationKind.RATING_ANSWERED)
        assert [(n.user_id, n.url) for n in told] == [
            (rating.worker_id, f"/work/campaigns/{rating.campaign_id}/rating/")
        ]
        later = timezone.now() + timedelta(days=8)
        with time_machine.travel(later), refused("edit_window_closed"):
            rating_answer(rating=rating, by=employer, answer="Later words")
        rating_hide(rating=rating, by=user(world.moderator), reason="Abuse")
        with refused("rating_hidden"):
            rating_answer(rating=rating, by=employer, answer="Again")

    # --- reports and moderation -------------------------------------------------------------------

    def test_a_report_waits_on_the_flags_until_a_moderator_keeps_or_hides_it(self, world):
        rating, _created = rate(world)
        moderator = user(world.moderator)
        with refused("own_rating"):
            rating_report(rating=rating, by=user(world.karim), reason="Mine")
        with refused("reason_required"):
            rating_report(rating=rating, by=user(world.employer), reason="")
        rating_report(rating=rating, by=user(world.employer), reason="Lies about pay")
        rating_report(rating=rating, by=user(world.outsider), reason="Second report")
        assert [(r.pk, r.report_reason) for r in ratings_reported(limit=10)] == [
            (rating.pk, "Lies about pay")
        ]
        with refused("permission_denied"):
            rating_keep(rating=rating, by=user(world.outsider), reason="ok")
        with refused("reason_required"):
            rating_keep(rating=rating, by=moderator, reason=" ")
        rating_keep(rating=rating, by=moderator, reason="Harsh, not abuse")
        assert ratings_reported(limit=10) == []
        with refused("not_reported"):
            rating_keep(rating=rating, by=moderator, reason="Again")
        rating_report(rating=rating, by=user(world.outsider), reason="Still abuse")
        rating_hide(rating=rating, by=moderator, reason="Personal details")
        assert ratings_reported(limit=10) == []
        assert list(employer_ratings(user(world.employer))) == []
        audit = ModerationAction.objects.filter(
            target_type__model="employerrating", target_id=str(rating.pk)
        ).order_by("id")
        assert [(a.action, a.reason) for a in audit] == [
            ("rating.keep", "Harsh, not abuse"),
            ("rating.hide", "Personal details"),
        ]
        with refused("rating_hidden"):
            rating_hide(rating=rating, by=moderator, reason="Twice")
        with refused("rating_hidden"):
            rate(world, pay=5)  # its author cannot bring it back by changing it

    def test_a_moderator_does_not_decide_on_a_rating_they_wrote(self, world):
        moderator_grant(user=user(world.karim))
        rating, _created = rate(world)
        with refused("own_case"):
            rating_hide(rating=rating, by=user(world.karim), reason="Mine")

    # --- the API ----------------------------------------------------------------------------------

    def test_the_api_rates_changes_lists_and_answers(self, world, api_as):
        url = f"/api/v1/campaigns/{world.campaign}/rating/"
        body = {"pay": 5, "clarity": 4, "speed": 3, "comment": "Clear"}
        made = api_as(user(world.karim)).post(url, body)
        assert made.status_code == 201, made.json()
        assert made.json()["average"] == 4 and "worker" not in made.json()
        changed = api_as(user(world.karim)).post(url, body | {"speed": 1})
        assert changed.status_code == 200 and changed.json()["speed"] == 1
        bad = api_as(user(world.karim)).post(url, body | {"pay": 9})
        assert bad.status_code == 400 and "pay" in bad.json()["errors"]
        early = api_as(user(world.nadia)).post(url, body)
        assert early.status_code == 409 and early.json()["code"] == "not_decided"
        assert api_as(user(world.outsider)).post(url, body).status_code == 404

        listing = api_as(user(world.outsider)).get(f"/api/v1/employers/{world.employer}/ratings/")
        assert listing.status_code == 200
        assert [r["comment"] for r in listing.json()["results"]] == ["Clear"]
        assert {"next", "previous", "results"} <= set(listing.json())
        nobody = api_as(user(world.outsider)).get(f"/api/v1/employers/{world.karim}/ratings/")
        assert nobody.status_code == 404  # Karim posts no campaign

        pk = made.json()["id"]
        answer = f"/api/v1/ratings/{pk}/answer/"
        assert api_as(user(world.outsider)).post(answer, {"answer": "Hi"}).status_code == 404
        answered = api_as(user(world.employer)).post(answer, {"answer": "Thanks"})
        assert answered.status_code == 200 and answered.json()["answer"] == "Thanks"
        assert api_as(user(world.employer)).post(answer, {}).status_code == 400

    def test_the_api_reports_and_moderators_decide(self, world, api_as):
        rating, _created = rate(world)
        report = f"/api/v1/ratings/{rating.pk}/report/"
        own = api_as(user(world.karim)).post(report, {"reason": "Mine"})
        assert own.status_code == 403 and own.json()["code"] == "own_rating"
        assert api_as(user(world.employer)).post(report, {"reason": "Lies"}).status_code == 200
        decide = f"/api/v1/moderation/ratings/{rating.pk}/decide/"
        body = {"action": "hide", "reason": "Abuse"}
        assert api_as(user(world.employer)).post(decide, body).status_code == 403
        assert api_as(user(world.moderator)).post(decide, {"action": "drop"}).status_code == 400
        hidden = api_as(user(world.moderator)).post(decide, body)
        assert hidden.status_code == 200, hidden.json()
        assert EmployerRating.objects.get().hidden_by_id == world.moderator
        again = api_as(user(world.moderator)).post(decide, body)
        assert again.status_code == 409 and again.json()["code"] == "rating_hidden"
        gone = api_as(user(world.outsider)).post(report, {"reason": "x"})
        assert gone.status_code == 404  # hidden: nobody but moderators reads it

    def test_the_feed_item_carries_the_employers_average_and_count(self, world, api_as):
        rate(world, pay=5, clarity=5, speed=4)
        feed = api_as(UserFactory()).get("/api/v1/feed/")
        assert feed.status_code == 200
        item = next(i for i in feed.json()["results"] if i["id"] == world.campaign)
        employer = item["employer"]
        assert (employer["id"], employer["rating_count"], employer["rating_average"]) == (
            world.employer,
            1,
            4.7,
        )

    # --- pages ------------------------------------------------------------------------------------

    def test_the_assignment_page_offers_the_rating_once_decided_and_the_form_rates(
        self, world, client
    ):
        client.force_login(user(world.nadia))
        waiting = client.get(reverse("workers:assignment", args=[world.waiting])).content.decode()
        assert "Rate this employer" not in waiting
        client.force_login(user(world.karim))
        page = client.get(reverse("workers:assignment", args=[world.approved])).content.decode()
        url = reverse("workers:campaign_rating", args=[world.campaign])
        assert f'action="{url}"' in page and 'type="radio" name="pay"' in page
        wrong = client.post(url, {"pay": "4", "clarity": "9", "speed": "2"})
        assert wrong.status_code == 400 and not EmployerRating.objects.exists()
        done = client.post(url, {"pay": "4", "clarity": "5", "speed": "2", "comment": "Good"})
        assert done.status_code == 302
        assert done["Location"] == reverse("workers:employer_ratings", args=[world.employer])
        assert EmployerRating.objects.get().clarity == 5
        page = client.get(reverse("workers:assignment", args=[world.approved])).content.decode()
        assert "Your rating of the employer" in page and "Change your rating" in page
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            late = client.post(url, {"pay": "1", "clarity": "1", "speed": "1"})
            assert late.status_code == 302 and EmployerRating.objects.get().pay == 4
            page = client.get(reverse("workers:assignment", args=[world.approved])).content.decode()
            assert "Change your rating" not in page

    def test_the_rating_page_is_only_for_a_worker_of_the_campaign(self, world, client):
        url = reverse("workers:campaign_rating", args=[world.campaign])
        assert client.get(url).status_code == 302  # anonymous: to the sign-in page
        client.force_login(user(world.outsider))
        assert client.get(url).status_code == 404
        assert client.post(url, {"pay": "5", "clarity": "5", "speed": "5"}).status_code == 404
        client.force_login(user(world.nadia))
        early = client.post(url, {"pay": "5", "clarity": "5", "speed": "5"})
        assert early.status_code == 400 and "once they have decided" in early.content.decode()

    def test_the_public_list_shows_ratings_with_answers_and_hides_hidden_ones(self, world, client):
        rating, _created = rate(world, comment="Paid on time")
        rating_answer(rating=rating, by=user(world.employer), answer="Glad to hear")
        hidden, _created = rate(world, who="jamal", comment="Rude words")
        rating_hide(rating=hidden, by=user(world.moderator), reason="Insults")
        client.force_login(user(world.outsider))
        html = client.get(
            reverse("workers:employer_ratings", args=[world.employer])
        ).content.decode()
        assert "Paid on time" in html and "Glad to hear" in html and "Rude words" not in html
        assert "Karim" not in html  # without the worker's name
        assert reverse("tasks:rating_report", args=[rating.pk]) in html
        assert (
            client.get(reverse("workers:employer_ratings", args=[world.karim])).status_code == 404
        )

    def test_the_feed_card_and_campaign_page_show_the_average_linked_to_the_ratings(
        self, world, client
    ):
        rate(world, pay=5, clarity=4, speed=3)
        client.force_login(UserFactory())
        link = reverse("workers:employer_ratings", args=[world.employer])
        feed = client.get(reverse("workers:feed")).content.decode()
        assert f'<a href="{link}">rated 4.0 of 5 by 1 worker</a>' in feed
        page = client.get(reverse("workers:campaign", args=[world.other])).content.decode()
        assert "rated 4.0 of 5 by 1 worker" in page and "approves 50%" in page

    def test_the_employer_reads_and_answers_their_campaigns_ratings(self, world, client):
        rating, _created = rate(world)
        url = reverse("tasks:campaign_ratings", args=[world.campaign])
        client.force_login(user(world.outsider))
        assert client.get(url).status_code == 404
        answer = reverse("tasks:rating_answer", args=[rating.pk])
        assert client.post(answer, {"answer": "Not mine"}).status_code == 404
        client.force_login(user(world.employer))
        manage = client.get(reverse("tasks:campaign_manage", args=[world.campaign])).content
        assert url.encode() in manage
        page = client.get(url).content.decode()
        assert "Fair pay" in page and answer in page
        assert client.post(answer, {"answer": ""}).status_code == 400
        done = client.post(answer, {"answer": "Thank you"})
        assert done.status_code == 302 and EmployerRating.objects.get().answer == "Thank you"
        assert "Change your answer" in client.get(url).content.decode()

    def test_a_report_from_the_page_reaches_the_moderators_who_decide_there(self, world, client):
        rating, _created = rate(world, comment="Offensive words")
        report = reverse("tasks:rating_report", args=[rating.pk])
        client.force_login(user(world.employer))
        assert client.post(report, {"reason": ""}).status_code == 400
        assert client.post(report, {"reason": "Insults my staff"}).status_code == 302
        client.force_login(user(world.outsider))
        assert client.get(reverse("moderation:flags")).status_code in (302, 403)
        decide = reverse("moderation:rating_decide", args=[rating.pk])
        assert client.post(decide, {"action": "hide", "reason": "x"}).status_code in (302, 403)
        client.force_login(user(world.moderator))
        flags = client.get(reverse("moderation:flags")).content.decode()
        assert "Offensive words" in flags and "Insults my staff" in flags and decide in flags
        assert client.post(decide, {"action": "hide", "reason": ""}).status_code == 400
        done = client.post(decide, {"action": "hide", "reason": "Insults"})
        assert done.status_code == 302 and EmployerRating.objects.get().hidden_at is not None
        assert "Offensive words" not in client.get(reverse("moderation:flags")).content.decode()

    # --- queries ----------------------------------------------------------------------------------

    def test_the_ratings_lists_cost_the_same_however_many_ratings(
        self, world, client, django_assert_max_num_queries
    ):
        rate(world)
        public = reverse("workers:employer_ratings", args=[world.employer])
        own = reverse("tasks:campaign_ratings", args=[world.other])
        client.force_login(user(world.employer))
        client.get(public)  # the session, as a browser has it
        # session, user, unread notifications; the employer, their record, the page of ratings
        with django_assert_max_num_queries(7):
            assert client.get(public).status_code == 200
        _rated_by_many(world, 2)
        with django_assert_max_num_queries(7):
            html = client.get(public).content.decode()
        assert html.count('class="card rating"') == 3
        with django_assert_max_num_queries(6):
            html = client.get(own).content.decode()
        assert html.count("Answer 1") == 1

    def test_the_feed_costs_no_query_more_per_rated_employer(
        self, world, client, django_assert_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        reader = UserFactory()
        client.force_login(reader)
        client.get(reverse("workers:feed"))
        rate(world)
        with CaptureQueriesContext(connection) as before:
            assert client.get(reverse("workers:feed")).status_code == 200
        moderator = user(world.moderator)
        for n in range(3):  # three more employers, each rated, each with a campaign in the feed
            boss = UserFactory(display_name=f"Boss {n}")
            assignment = submitted(boss, UserFactory(), moderator, title=f"Job {n}", positions=2)
            services.submission_approve(assignment=assignment, by=boss)
            rating_save(
                campaign=assignment.campaign, worker=assignment.worker, pay=5, clarity=5, speed=5
            )
        with CaptureQueriesContext(connection) as after:
            html = client.get(reverse("workers:feed")).content.decode()
        assert html.count("rated 5.0 of 5 by 1 worker") == 3
        assert len(after) == len(before)


def test_one_rating_per_worker_per_campaign_when_ratings_race(
    employer, worker, moderator, transactional_db
):
    assignment = submitted(employer, worker, moderator)
    services.submission_approve(assignment=assignment, by=employer)
    campaign = assignment.campaign

    def rate_now(i):
        return rating_save(campaign=campaign, worker=worker, pay=1 + i, clarity=3, speed=3)

    results = run_together(4, rate_now)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _rating, created in results) == 1
    assert EmployerRating.objects.filter(campaign=campaign, worker=worker).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.EMPLOYER_RATED).count() == 1
