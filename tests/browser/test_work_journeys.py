"""The two journeys the work loop exists for, on a 360 x 740 phone screen in Chromium."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import AssignmentStatus, Campaign, CampaignStatus, Category
from tests.factories import PASSWORD, UserFactory
from workers.claims import task_claim

from ..payments.helpers import give
from ..tasks.helpers import active_campaign
from .conftest import fits_the_screen, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders", country="BD")
    worker = UserFactory(email="karim@example.com", display_name="Karim", country="BD")
    moderator = moderator_grant(user=UserFactory(email="moderator@example.com"))
    return employer, worker, moderator


def png_file(tmp_path):
    path = tmp_path / "proof.png"
    Image.new("RGB", (320, 640), (30, 120, 90)).save(path)
    return path


def test_a_worker_finds_claims_and_proves_a_task_on_a_phone(phone, people, tmp_path):
    employer, worker, moderator = people
    campaign = active_campaign(
        employer,
        moderator,
        title="Install our reading app",
        category=Category.objects.get(slug="install-app"),
        proof_fields=[
            {"key": "screenshot", "label": "Screenshot", "kind": "screenshot", "required": True}
        ],
        reward_cents=40,
        positions=2,
    )
    log_in(phone, "karim@example.com", PASSWORD)

    phone.go("/work/")
    assert fits_the_screen(phone)
    phone.click("text=Install our reading app")
    assert fits_the_screen(phone)
    phone.click("main form button[type=submit]")  # take the task
    phone.wait_for_load_state()
    phone.click("text=Send your proof")
    assert fits_the_screen(phone)
    phone.set_input_files("input[type=file][name=screenshot]", str(png_file(tmp_path)))
    phone.click("button:has-text('Send proof')")
    phone.wait_for_url("**/work/mine/")  # proof.js sends it, then follows the redirect

    assignment = campaign.assignments.get(worker=worker)
    assert assignment.status == AssignmentStatus.SUBMITTED
    shot = assignment.submissions.get().screenshots.get()
    # Re-encoded on the phone (smaller than the PNG), the size kept: it is under 1600 px.
    assert (shot.width, shot.height, shot.content_type) == (320, 640, "image/webp")
    phone.go("/work/mine/")
    assert "Install our reading app" in phone.content()
    assert fits_the_screen(phone)


def test_an_employer_creates_launches_and_approves_on_a_phone(phone, people, tmp_path):
    employer, worker, moderator = people
    give(employer, 5_000)
    log_in(phone, "rahim@example.com", PASSWORD)

    phone.go("/campaigns/new/")
    assert fits_the_screen(phone)
    phone.fill("#id_title", "Follow our page")
    phone.select_option("#id_category", label="Social media share or follow")
    phone.wait_for_timeout(300)  # htmx swaps in the category's suggested proofs
    phone.fill("#id_instructions", "Follow https://example.com/our-page and send a screenshot.")
    phone.fill("#id_reward", "0.25")
    phone.fill("#id_positions", "4")
    phone.locator("#cost-preview").filter(has_text="1.12").wait_for()  # 4 x (25 + 3) cents
    phone.click("button:has-text('Save draft')")
    phone.wait_for_load_state()
    campaign = Campaign.objects.get(title="Follow our page")
    assert campaign.status == CampaignStatus.DRAFT
    assert [f["kind"] for f in campaign.proof_fields] == ["url", "screenshot"]

    phone.click("a:has-text('Launch')")  # it asks first, saying what moves
    phone.locator("#launch-total").filter(has_text="$1.12").wait_for()
    phone.click("button:has-text('Launch and move $1.12')")
    phone.wait_for_load_state()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert balances_of(employer).escrow_cents == 112

    # A moderator approves it and a worker sends proof, through the services.
    services.campaign_moderate(campaign=campaign, by=moderator, approve=True)
    assignment = task_claim(campaign=campaign, worker=worker)
    upload = SimpleUploadedFile(
        "proof.png", png_file(tmp_path).read_bytes(), content_type="image/png"
    )
    services.assignment_submit(
        assignment=assignment,
        worker=worker,
        answers={"profile": "https://example.com/karim"},
        files={"screenshot": [upload]},
    )

    phone.go(f"/campaigns/{campaign.pk}/")
    assert fits_the_screen(phone)
    assert phone.locator("img[src*='/screenshots/']").count() == 1
    phone.click("button[name=action][value=approve]")  # in place (htmx)
    card = phone.locator(f"#assignment-{assignment.pk}")
    card.filter(has_text="Approved: the worker is paid.").wait_for()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert balances_of(worker).available_cents == 25
    assert ledger_violations() == []


@pytest.fixture(autouse=True)
def _no_stray_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
