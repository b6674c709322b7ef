"""Reviewing on a phone: each submission approved, rejected or sent back in place (htmx) or,
without JavaScript, by a form that comes back to the next one waiting; "select all"; and the
steps that ask first — launch and cancel (saying what money moves) and blocking a worker."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import moderator_grant
from payments.selectors import balances_of, ledger_violations
from tasks.models import Assignment, AssignmentStatus, Campaign, CampaignStatus
from tasks.services import campaign_create
from workers.claims import task_claim

from ..factories import UserFactory
from ..module_db import module_transaction
from ..payments.helpers import give
from ..workers.test_work_pages import errors_of
from .api_helpers import SHOT_FIELDS, submitted
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """An employer's active campaign with four submissions waiting (the first with a
    screenshot) and one open claim; a draft; an outsider. Built once; each test runs in a
    savepoint rolled back after it, and only ids are kept here."""
    with module_transaction(django_db_blocker):
        employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders")
        moderator = moderator_grant(user=UserFactory(email="mod@example.com"))
        outsider = UserFactory(email="someone@example.com", display_name="Someone Else")
        campaign = active_campaign(
            employer, moderator, title="Review me", proof_fields=SHOT_FIELDS, positions=6
        )
        waiting = [
            submitted(
                employer,
                UserFactory(display_name=f"Worker {n}"),
                moderator,
                campaign=campaign,
                shot=1 if n == 0 else None,
            ).pk
            for n in range(4)
        ]
        claimed = task_claim(campaign=campaign, worker=UserFactory(display_name="Still working"))
        draft = campaign_create(employer=employer, spec=spec(title="A draft", positions=4))
        yield SimpleNamespace(
            employer=employer.pk,
            outsider=outsider.pk,
            campaign=campaign.pk,
            waiting=waiting,
            claimed=claimed.pk,
            draft=draft.pk,
        )


@pytest.fixture
def owner(client, world):
    client.force_login(User.objects.get(pk=world.employer))
    return client


def manage(world, query: str = "") -> str:
    return reverse("tasks:campaign_manage", args=[world.campaign]) + query


def review(pk: int, query: str = "?status=submitted") -> str:
    return reverse("tasks:assignment_review", args=[pk]) + query


def status_of(pk: int) -> str:
    return Assignment.objects.get(pk=pk).status


# --- in place, with htmx ------------------------------------------------------------------


def test_approving_with_htmx_answers_the_card_with_its_outcome(owner, world):
    first = world.waiting[0]
    response = owner.post(review(first), {"action": "approve"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.strip().startswith("<article")
    assert f'id="assignment-{first}"' in html
    assert "Approved: the worker is paid." in html and "message-success" in html
    assert "hx-post" not in html and 'name="ids"' not in html  # nothing left to review
    assert status_of(first) == AssignmentStatus.APPROVED
    assert ledger_violations() == []
    # The outcome was shown in the card: it does not wait in the session for the next page.
    assert "Approved: the worker is paid." not in owner.get(manage(world)).content.decode()


def test_rejecting_with_htmx_without_a_reason_shows_the_error_in_the_card(owner, world):
    first = world.waiting[0]
    response = owner.post(review(first), {"action": "reject"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400 and "<html" not in html
    assert "Give the worker a reason." in errors_of(html, f"id_reason_{first}")
    assert f'hx-post="{review(first)}"' in html  # the form again, to try once more
    assert status_of(first) == AssignmentStatus.SUBMITTED
    response = owner.post(review(first), {"action": "reject", "reason": "Blurry"}, **HTMX)
    assert "Rejected. The worker sees your reason." in response.content.decode()
    assert status_of(first) == AssignmentStatus.REJECTED


def test_sending_back_with_htmx_and_a_second_click_says_it_was_reviewed(owner, world):
    first = world.waiting[0]
    data = {"action": "request_revision", "reason": "Show the whole page"}
    assert (
        "Sent back to the worker to fix."
        in owner.post(review(first), data, **HTMX).content.decode()
    )
    again = owner.post(review(first), {"action": "approve"}, **HTMX)
    assert again.status_code == 200
    html = again.content.decode()
    assert "This submission was already reviewed." in html and "message-error" in html
    assert status_of(first) == AssignmentStatus.REVISION_REQUESTED


def test_an_htmx_review_costs_the_same_queries_whatever_the_queue_holds(owner, world):
    with CaptureQueriesContext(connection) as few:
        owner.post(review(world.waiting[0]), {"action": "approve"}, **HTMX)
    campaign = Campaign.objects.get(pk=world.campaign)
    employer = User.objects.get(pk=world.employer)
    moderator = User.objects.filter(email="mod@example.com").get()
    submitted(employer, UserFactory(), moderator, campaign=campaign, shot=2)  # the last one
    with CaptureQueriesContext(connection) as more:
        owner.post(review(world.waiting[1]), {"action": "approve"}, **HTMX)
    assert len(more) == len(few)


# --- without JavaScript ---------------------------------------------------------------


def test_a_plain_review_comes_back_to_the_next_submission_waiting(owner, world):
    first, second, third, fourth = world.waiting
    queue = manage(world, "?status=submitted")
    response = owner.post(review(second), {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"] == f"{queue}#assignment-{third}"
    response = owner.post(review(fourth), {"action": "reject", "reason": "Wrong page"})
    assert response["Location"] == f"{queue}#assignment-{first}"  # none after: the first left
    owner.post(review(first), {"action": "approve"})
    response = owner.post(review(third), {"action": "approve"}, follow=True)
    assert response.redirect_chain == [(f"{queue}#queue", 302)]  # none left
    assert "Approved: the worker is paid." in response.content.decode()


def test_a_plain_review_with_an_error_shows_the_queue_with_the_error(owner, world):
    first = world.waiting[0]
    response = owner.post(review(first), {"action": "request_revision"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html and "Give the worker a reason." in errors_of(html, f"id_reason_{first}")


# --- the page -----------------------------------------------------------------------------


def test_the_queue_comes_first_and_loads_htmx_and_its_script(owner, world):
    html = owner.get(manage(world)).content.decode()
    details = html.index('<details class="card campaign-details">')  # folded: no "open"
    assert details < html.index('id="queue"') < html.index(f'id="assignment-{world.waiting[0]}"')
    assert "js/htmx.min.js" in html and "js/review.js" in html
    assert 'id="review-keys" hidden' in html and "a approve" in html
    for pk in world.waiting:
        assert f'hx-post="{review(pk)}"' in html
        assert f'action="{review(pk)}"' in html  # and the plain form without JavaScript
    assert html.count('data-key="a"') == len(world.waiting)
    draft = owner.get(reverse("tasks:campaign_manage", args=[world.draft])).content.decode()
    assert '<details class="card campaign-details" open>' in draft
    assert "js/review.js" not in draft and "js/htmx.min.js" not in draft


def test_select_all_without_javascript_ticks_every_submission_waiting(owner, world):
    html = owner.get(manage(world, "?status=submitted")).content.decode()
    assert html.count('name="ids"') == 4 and " checked>" not in html
    assert 'id="select-all" href="?status=submitted&amp;select=all#queue"' in html
    html = owner.get(manage(world, "?status=submitted&select=all")).content.decode()
    ticked = [pk for pk in world.waiting if f'value="{pk}" form="bulk" checked>' in html]
    assert ticked == world.waiting
    url = reverse("tasks:submissions_bulk_review", args=[world.campaign])
    response = owner.post(url + "?status=submitted", {"ids": ticked, "action": "approve"})
    assert response["Location"] == manage(world, "?status=submitted#queue")
    assert {status_of(pk) for pk in world.waiting} == {AssignmentStatus.APPROVED}


def test_the_queue_page_keeps_a_fixed_number_of_queries_with_everything_ticked(
    owner, world, django_assert_max_num_queries
):
    url = manage(world, "?status=all&select=all")
    owner.get(url)
    with django_assert_max_num_queries(11):
        html = owner.get(url).content.decode()
    assert html.count('class="card review-card') == 5  # four waiting and the open claim


# --- launch and cancel ask first -------------------------------------------------------


def test_launch_asks_first_with_the_money_it_moves(owner, world):
    employer = User.objects.get(pk=world.employer)
    url = reverse("tasks:campaign_launch", args=[world.draft])
    page = owner.get(reverse("tasks:campaign_manage", args=[world.draft])).content.decode()
    assert f'href="{url}"' in page and f'action="{url}"' not in page  # one tap only asks
    available = balances_of(employer).available_cents
    html = owner.get(url).content.decode()
    assert '<strong id="launch-total">$2.20</strong>' in html  # 4 x (50 + 5)
    assert "4 \N{MULTIPLICATION SIGN} ($0.50 reward + $0.05 fee)" in html
    left = f"${(available - 220) // 100}.{(available - 220) % 100:02d}"
    assert f"{left} is left after launching" in html
    assert f'action="{url}"' in html and "Launch and move $2.20" in html
    draft = Campaign.objects.get(pk=world.draft)
    assert draft.status == CampaignStatus.DRAFT  # asking moved nothing
    owner.post(url)
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.IN_REVIEW
    assert balances_of(employer).available_cents == available - 220


def test_launch_says_when_the_wallet_is_short(client, world):
    poor = UserFactory(email="poor@example.com")
    give(poor, 100, key="poor")
    draft = campaign_create(employer=poor, spec=spec(positions=4))
    client.force_login(poor)
    html = client.get(reverse("tasks:campaign_launch", args=[draft.pk])).content.decode()
    assert "Your wallet has only $1.00." in html
    assert f'href="{reverse("payments:deposit_new")}"' in html


def test_launch_of_a_running_campaign_is_not_offered(owner, world):
    response = owner.get(reverse("tasks:campaign_launch", args=[world.campaign]), follow=True)
    assert response.redirect_chain == [(manage(world), 302)]
    assert "Only a draft can be launched." in response.content.decode()


def test_cancel_asks_first_with_the_refund_it_makes(owner, world):
    employer = User.objects.get(pk=world.employer)
    url = reverse("tasks:campaign_cancel", args=[world.campaign])
    assert f'href="{url}"' in owner.get(manage(world)).content.decode()
    html = owner.get(url).content.decode()
    # Six positions: four submitted and one claimed are taken, one is open: $0.55 back now.
    assert '1 open task is withdrawn and <strong id="cancel-refund">$0.55</strong>' in html
    assert "5 tasks already taken run their course" in html
    before = balances_of(employer).available_cents
    assert Campaign.objects.get(pk=world.campaign).status == CampaignStatus.ACTIVE
    owner.post(url)
    assert Campaign.objects.get(pk=world.campaign).status == CampaignStatus.CANCELLED
    assert balances_of(employer).available_cents == before + 55
    assert ledger_violations() == []


def test_cancelling_a_draft_says_no_money_moves(owner, world):
    html = owner.get(reverse("tasks:campaign_cancel", args=[world.draft])).content.decode()
    assert "Nothing was paid for this draft, so no money moves." in html


def test_the_confirmation_pages_are_the_owners_only(client, world):
    client.force_login(User.objects.get(pk=world.outsider))
    for name, pk in (("campaign_launch", world.draft), ("campaign_cancel", world.campaign)):
        assert client.get(reverse(f"tasks:{name}", args=[pk])).status_code == 404
    block = reverse("workers:block_from_review", args=[world.waiting[0]])
    assert client.get(block).status_code == 404
