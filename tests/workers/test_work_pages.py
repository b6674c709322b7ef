"""Workers' pages: the feed, a campaign, claiming, my work, submitting proof, screenshots —
and the whole loop end to end through the HTML views."""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Category,
    Screenshot,
    Submission,
    TaskStatus,
)
from tests.factories import UserFactory
from workers.claims import task_claim

from ..payments.helpers import give
from ..tasks.helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

FEED = "/work/"
MY_WORK = "/work/mine/"
SHOT_PROOFS = [
    {"key": "username", "label": "Your username", "kind": "text", "required": True},
    {"key": "shot", "label": "Screenshot of the page", "kind": "screenshot", "required": True},
]


def png(seed: int = 1, size: int = 64) -> SimpleUploadedFile:
    """A real PNG made with Pillow; different seeds give pictures that do not look alike."""
    rng = random.Random(seed)  # noqa: S311 - test pictures, not secrets
    pixels = bytes(rng.randrange(256) for _ in range(size * size))
    out = io.BytesIO()
    Image.frombytes("L", (size, size), pixels).convert("RGB").save(out, format="PNG")
    return SimpleUploadedFile("proof.png", out.getvalue(), content_type="image/png")


def errors_of(html: str, field_id: str) -> str:
    """The error block rendered next to one field."""
    marker = f'id="{field_id}_errors"'
    assert marker in html, f"no errors next to {field_id}"
    return html.split(marker, 1)[1].split("</div>", 1)[0]


def submitted(campaign, worker, seed=1):
    """A claimed and submitted assignment with a screenshot (campaign with SHOT_PROOFS)."""
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment,
        worker=worker,
        answers={"username": worker.display_name},
        files={"shot": [png(seed)]},
    )
    return assignment


def test_the_whole_loop_through_the_pages(client, employer, worker, moderator):
    give(employer, 10_000, key="loop")
    client.force_login(employer)
    category = Category.objects.get(slug="sign-up")
    response = client.post(
        "/campaigns/new/",
        {
            "title": "Sign up to our newsletter",
            "category": category.pk,
            "instructions": "Open https://example.com and sign up.",
            "reward": "0.50",
            "positions": "2",
            "max_tasks_per_worker": "1",
            "time_to_complete_minutes": "60",
            "time_to_rate_hours": "72",
            "min_success_rate": "0",
            "proof-0_key": "username",
            "proof-0_label": "Your username",
            "proof-0_kind": "text",
            "proof-0_required": "on",
            "proof-1_key": "shot",
            "proof-1_label": "Screenshot after signing up",
            "proof-1_kind": "screenshot",
            "proof-1_required": "on",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:campaign_manage", args=[campaign.pk])
    assert campaign.status == CampaignStatus.DRAFT and campaign.employer == employer

    client.post(reverse("tasks:campaign_launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert balances_of(employer).escrow_cents == 110  # 2 * (50 + 5)

    client.force_login(moderator)
    client.post(reverse("moderation:campaign_moderate", args=[campaign.pk]), {"action": "approve"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE

    client.force_login(worker)
    assert "Sign up to our newsletter" in client.get(FEED).content.decode()
    response = client.post(reverse("workers:campaign_claim", args=[campaign.pk]))
    assignment = Assignment.objects.get(worker=worker)
    assert response["Location"] == reverse("workers:assignment", args=[assignment.pk])
    assert assignment.client_ip == "127.0.0.1"
    page = client.get(response["Location"]).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page
    response = client.post(
        reverse("workers:assignment", args=[assignment.pk]),
        {"username": "karim", "shot": png()},
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED

    client.force_login(employer)
    queue = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    shot = Screenshot.objects.get()
    assert reverse("tasks:screenshot", args=[shot.pk]) in queue
    client.post(reverse("tasks:assignment_review", args=[assignment.pk]), {"action": "approve"})
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert balances_of(worker).available_cents == 50
    assert balances_of(employer).escrow_cents == 55
    assert balances_of(employer).available_cents == 10_000 - 110
    assert ledger_violations() == []


# --- feed ---------------------------------------------------------------------------------


def test_the_feed_shows_reward_category_open_tasks_time_and_the_employers_record(
    client, employer, worker, outsider, moderator
):
    campaign = active_campaign(employer, moderator, title="Visit the bakery", positions=3)
    done = task_claim(campaign=campaign, worker=outsider)
    services.assignment_submit(
        assignment=done, worker=outsider, answers={"username": "x"}, files={}
    )
    services.submission_approve(assignment=done, by=employer)
    client.force_login(worker)
    html = client.get(FEED).content.decode()
    assert "Visit the bakery" in html
    assert "$0.50" in html and "Sign up to a site" in html
    assert "2 tasks open" in html and "60 minutes to do it" in html
    assert "approves 100%" in html and "reviews in 1 minute on average" in html


def test_the_feed_filters_by_category_and_sorts_by_reward_or_newest(
    client, employer, worker, moderator
):
    active_campaign(employer, moderator, title="Cheap sign-up", reward_cents=30)
    active_campaign(
        employer,
        moderator,
        title="Dear survey",
        reward_cents=90,
        category=Category.objects.get(slug="survey"),
    )
    client.force_login(worker)
    html = client.get(FEED).content.decode()
    assert html.index("Dear survey") < html.index("Cheap sign-up")
    html = client.get(FEED, {"sort": "newest"}).content.decode()
    assert html.index("Cheap sign-up") > html.index("Dear survey")  # launched last = newest
    html = client.get(FEED, {"category": "sign-up"}).content.decode()
    assert "Cheap sign-up" in html and "Dear survey" not in html


def test_the_feed_leaves_out_campaigns_the_worker_cannot_take(client, employer, worker, moderator):
    active_campaign(employer, moderator, title="Only for India", countries_include=("IN",))
    client.force_login(worker)  # the factory's users live in BD
    assert "Only for India" not in client.get(FEED).content.decode()


def test_the_feed_keeps_a_fixed_number_of_queries_as_campaigns_grow(
    client, employer, worker, moderator, django_assert_max_num_queries
):
    for n in range(2):
        active_campaign(employer, moderator, title=f"Campaign {n}")
    client.force_login(worker)
    client.get(FEED)  # warm the session
    bound = 7  # session, user, standing, page, employers, unread notifications, categories
    with django_assert_max_num_queries(bound):
        assert client.get(FEED).content.decode().count('class="card"') == 2
    for n in range(2, 20):
        active_campaign(employer, moderator, title=f"Campaign {n}")
    with django_assert_max_num_queries(bound):
        assert client.get(FEED).content.decode().count('class="card"') == 20


def test_work_pages_send_anonymous_visitors_to_log_in(client, employer, moderator):
    campaign = active_campaign(employer, moderator)
    for url in (FEED, MY_WORK, reverse("workers:campaign", args=[campaign.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("workers:campaign_claim", args=[campaign.pk]))
    assert response.status_code == 302 and not Assignment.objects.exists()


# --- campaign page and claim --------------------------------------------------------------


def test_instructions_are_escaped_and_filled_with_the_tasks_input_once_claimed(
    client, employer, worker, moderator
):
    campaign = active_campaign(
        employer,
        moderator,
        positions=1,
        instructions="Visit {{url}} and <script>alert(1)</script>\nThen sign up.",
        task_inputs=({"url": "<b>https://shop.example</b>"},),
    )
    client.force_login(worker)
    page = client.get(reverse("workers:campaign", args=[campaign.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{url}}" in page and "shop.example" not in page  # inputs only once claimed
    assert "<br>" in page  # line breaks kept
    assignment = task_claim(campaign=campaign, worker=worker)
    for url in (
        reverse("workers:campaign", args=[campaign.pk]),
        reverse("workers:assignment", args=[assignment.pk]),
    ):
        page = client.get(url).content.decode()
        assert "&lt;b&gt;" in page and "<b>https://shop.example</b>" not in page
        assert "{{url}}" not in page and "<script>alert" not in page


def test_claim_is_post_only(client, employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    client.force_login(worker)
    assert client.get(reverse("workers:campaign_claim", args=[campaign.pk])).status_code == 405
    assert not Assignment.objects.exists()


def test_a_refused_claim_is_a_message(client, employer, worker, outsider, moderator):
    campaign = active_campaign(employer, moderator, positions=1)
    task_claim(campaign=campaign, worker=outsider)
    client.force_login(worker)
    response = client.post(reverse("workers:campaign_claim", args=[campaign.pk]), follow=True)
    assert "Every task of this campaign is taken." in response.content.decode()
    assert not Assignment.objects.filter(worker=worker).exists()


def test_the_employer_cannot_claim_their_own_campaign(client, employer, moderator):
    campaign = active_campaign(employer, moderator)
    client.force_login(employer)
    response = client.post(reverse("workers:campaign_claim", args=[campaign.pk]), follow=True)
    assert "You cannot work on your own campaign." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_draft_or_another_employers_hidden_campaign_is_not_found(client, employer, worker):
    campaign = services.campaign_create(employer=employer, spec=spec())
    client.force_login(worker)
    assert client.get(reverse("workers:campaign", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("workers:campaign_claim", args=[campaign.pk])).status_code == 404


# --- my work, submit, release -------------------------------------------------------------


def test_my_work_shows_deadlines_reasons_and_the_success_rate(client, employer, worker, moderator):
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=3)
    rejected = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=rejected, worker=worker, answers={"username": "a"}, files={}
    )
    services.submission_reject(assignment=rejected, by=employer, reason="Wrong user name")
    revised = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=revised, worker=worker, answers={"username": "b"}, files={}
    )
    services.submission_request_revision(assignment=revised, by=employer, reason="Add the date")
    claimed = task_claim(campaign=campaign, worker=worker)
    client.force_login(worker)
    html = client.get(MY_WORK).content.decode()
    assert "Wrong user name" in html and "Add the date" in html
    assert "Send proof by" in html and "data-countdown" in html
    assert reverse("workers:assignment_release", args=[claimed.pk]) in html
    assert "Success rate: <strong>0%</strong>" in html


def test_my_work_pages_its_history_without_counting_it(
    client, employer, worker, moderator, monkeypatch
):
    monkeypatch.setattr("workers.views.HISTORY_PAGE_SIZE", 2)
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=3, title="Menus")
    for _ in range(3):
        given_back = task_claim(campaign=campaign, worker=worker)
        services.assignment_release(assignment=given_back, worker=worker)
    client.force_login(worker)
    first = client.get(MY_WORK).content.decode()
    assert first.count('class="history-what"') == 2
    assert "Page 1" in first and "?&amp;page=2" in first and "Page 1 of" not in first
    second = client.get(MY_WORK + "?page=2").content.decode()
    assert second.count('class="history-what"') == 1 and "?&amp;page=3" not in second
    past_the_end = client.get(MY_WORK + "?page=7")
    assert past_the_end.status_code == 302 and past_the_end["Location"] == MY_WORK


def test_submit_errors_show_next_to_each_field_and_change_nothing(
    client, employer, worker, moderator
):
    campaign = active_campaign(employer, moderator, proof_fields=SHOT_PROOFS)
    assignment = task_claim(campaign=campaign, worker=worker)
    client.force_login(worker)
    url = reverse("workers:assignment", args=[assignment.pk])
    not_a_picture = SimpleUploadedFile("x.png", b"GIF89a not really", content_type="image/png")
    response = client.post(url, {"username": "", "shot": not_a_picture})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This proof is required." in errors_of(html, "id_username")
    assert "This file is not a picture we can read." in errors_of(html, "id_shot")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLAIMED
    assert not Submission.objects.exists() and not Screenshot.objects.exists()


def test_the_verification_code_is_shown_to_the_worker(client, employer, worker, moderator):
    campaign = active_campaign(employer, moderator, uses_verification_code=True)
    assignment = task_claim(campaign=campaign, worker=worker)
    client.force_login(worker)
    html = client.get(reverse("workers:assignment", args=[assignment.pk])).content.decode()
    code = services.verification_code(
        campaign=campaign, task_id=assignment.task_id, worker_id=worker.pk
    )
    assert f'id="verification-code">{code}<' in html


def test_only_the_worker_sees_or_acts_on_their_assignment(
    client, employer, worker, outsider, moderator
):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    page = reverse("workers:assignment", args=[assignment.pk])
    release = reverse("workers:assignment_release", args=[assignment.pk])
    for other in (outsider, employer, moderator):
        client.force_login(other)
        assert client.get(page).status_code == 404
        assert client.post(page, {"username": "x"}).status_code == 404
        assert client.post(release).status_code == 404
    client.logout()
    assert client.post(release).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLAIMED


def test_release_asks_first_and_gives_the_task_back_on_post(client, employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    client.force_login(worker)
    release = reverse("workers:assignment_release", args=[assignment.pk])
    page = client.get(release)  # the confirmation: changes nothing
    assert page.status_code == 200
    html = page.content.decode()
    assert "Give this task back?" in html and f'action="{release}"' in html
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLAIMED
    client.post(release)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RELEASED
    assert campaign.tasks.filter(status=TaskStatus.OPEN).count() == 3


# --- screenshots --------------------------------------------------------------------------


def test_screenshots_go_only_to_the_worker_the_employer_and_moderators(
    client, employer, worker, outsider, moderator
):
    campaign = active_campaign(employer, moderator, proof_fields=SHOT_PROOFS)
    submitted(campaign, worker)
    shot = Screenshot.objects.get()
    url = reverse("tasks:screenshot", args=[shot.pk])
    assert shot.file.name.startswith("private/screenshots/")
    for allowed in (worker, employer, moderator):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert "private" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    another_employer = UserFactory()
    for refused in (outsider, another_employer):
        client.force_login(refused)
        assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_worker_at_max_open_claims_is_shown_nothing_and_told_why(
    client, api_as, employer, worker, moderator, settings
):
    settings.MAX_OPEN_CLAIMS = 1
    first = active_campaign(employer, moderator, title="First job")
    active_campaign(employer, moderator, title="Second job")
    claim = task_claim(campaign=first, worker=worker)
    client.force_login(worker)
    html = client.get(FEED).content.decode()
    assert "Second job" not in html and "First job" not in html
    assert "Finish or give back one of your 1 open tasks first." in html
    assert api_as(worker).get("/api/v1/feed/").json()["results"] == []
    services.assignment_release(assignment=claim, worker=worker)
    html = client.get(FEED).content.decode()
    assert "Second job" in html and "open tasks first" not in html


def test_claiming_from_the_page_computes_no_employer_record(
    client, employer, worker, moderator, django_assert_max_num_queries
):
    campaign = active_campaign(employer, moderator)
    client.force_login(worker)
    client.get(FEED)  # warm the session
    url = reverse("workers:campaign_claim", args=[campaign.pk])
    # session, user, the campaign; the claim's four statements inside its savepoint (2)
    with django_assert_max_num_queries(9) as captured:
        response = client.post(url)
    assert response.status_code == 302
    assert Assignment.objects.filter(worker=worker, campaign=campaign).count() == 1
    assert not [q for q in captured.captured_queries if "tasks_dispute" in q["sql"]]
