"""The proof form on a 360 x 740 phone in Chromium: the browser checks it before uploading,
a screenshot is shrunk on the phone before it goes, and a proof the server sends back keeps
the screenshot already uploaded."""

import pytest
from django.conf import settings
from PIL import Image

from tasks.models import AssignmentStatus, KeptScreenshot, Screenshot
from tests.factories import PASSWORD, UserFactory
from workers.claims import task_claim

from ..tasks.helpers import active_campaign
from .conftest import fits_the_screen, log_in, until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROOFS = [
    {"key": "username", "label": "Your username", "kind": "text", "required": True},
    {"key": "shot", "label": "Screenshot of the page", "kind": "screenshot", "required": True},
]
SHRUNK_TYPES = ("image/webp", "image/jpeg")


@pytest.fixture(autouse=True)
def _no_stray_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def big_screenshot(tmp_path_factory):
    """A phone's full-page screenshot, 1440 x 3200 and noisy: a PNG over the server's
    SCREENSHOT_MAX_BYTES, which only a copy shrunk in the browser gets past."""
    path = tmp_path_factory.mktemp("shots") / "screenshot.png"
    base = Image.linear_gradient("L").resize((1440, 3200)).convert("RGB")
    noise = Image.effect_noise((1440, 3200), 30).convert("RGB")
    Image.blend(base, noise, 0.5).save(path)
    assert path.stat().st_size > settings.SCREENSHOT_MAX_BYTES
    return path


@pytest.fixture
def assignment():
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", country="BD")
    worker = UserFactory(email="karim@example.com", display_name="Karim", country="BD")
    moderator = moderator_grant(user=UserFactory(email="moderator@example.com"))
    campaign = active_campaign(
        employer, moderator, title="Follow our page", proof_fields=PROOFS, positions=2
    )
    return task_claim(campaign=campaign, worker=worker)


def open_proof_form(phone, assignment):
    log_in(phone, "karim@example.com", PASSWORD)
    phone.go(f"/work/assignments/{assignment.pk}/")
    assert fits_the_screen(phone)


@pytest.mark.parametrize("language", ["en", "bn"])
def test_a_proof_sent_back_keeps_its_screenshot(phone, assignment, big_screenshot, language):
    assignment.worker.language = language
    assignment.worker.save(update_fields=["language"])
    open_proof_form(phone, assignment)
    assert phone.evaluate("document.documentElement.lang") == language
    send = phone.locator("#proof-form button[type=submit]:not([form])")
    # The browser stops an empty answer before a byte is uploaded.
    phone.set_input_files("#id_shot", str(big_screenshot))
    send.click()
    assert phone.evaluate("document.querySelector('#id_username').validity.valueMissing")
    assert not KeptScreenshot.objects.exists()

    # Spaces pass the browser's check, not the server's: the proof comes back.
    phone.fill("#id_username", "   ")
    with phone.expect_response(lambda r: r.request.method == "POST") as sent:
        send.click()
    assert sent.value.status == 400
    phone.locator("#id_username_errors").wait_for()
    kept = KeptScreenshot.objects.get(assignment=assignment)
    assert kept.content_type in SHRUNK_TYPES and max(kept.width, kept.height) <= 1600
    if language == "en":  # (the Bengali catalogue is filled at the end of the issue)
        assert "Already uploaded — kept." in phone.locator("#id_shot_kept").inner_text()
    until(phone, "document.querySelector('#id_shot_kept img').naturalWidth > 0")
    assert fits_the_screen(phone)

    # Sent again without choosing the file again: the kept one goes with the proof.
    phone.fill("#id_username", "karim_bd")
    send.click()
    phone.wait_for_url("**/work/mine/")
    assert phone.locator(".messages .message-success").count() == 1  # "Proof sent."
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    shot = Screenshot.objects.get(submission__assignment=assignment)
    assert shot.file.name == kept.file.name
    assert not KeptScreenshot.objects.exists()


def test_a_large_screenshot_is_shrunk_on_the_phone_before_upload(phone, assignment, big_screenshot):
    open_proof_form(phone, assignment)
    phone.fill("#id_username", "karim_bd")
    phone.set_input_files("#id_shot", str(big_screenshot))
    slow = phone.context.new_cdp_session(phone)  # a phone's upload: 2 Mbit/s
    slow.send("Network.enable")
    conditions = {"latency": 100, "downloadThroughput": 500_000, "uploadThroughput": 250_000}
    slow.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
    with phone.expect_response(lambda r: r.request.method == "POST") as sent:
        phone.click("button:has-text('Send proof')")
        until(phone, "document.querySelector('.upload-progress:not([hidden])')?.value > 0")
    upload = sent.value.request
    assert upload.headers.get("hx-request") == "true"  # sent by proof.js, not a plain post
    # Chromium does not hand the multipart body to Playwright; its size it does.
    assert upload.sizes()["requestBodySize"] < big_screenshot.stat().st_size / 4
    phone.wait_for_url("**/work/mine/")
    shot = Screenshot.objects.get(submission__assignment=assignment)
    assert shot.content_type in SHRUNK_TYPES
    assert (shot.width, shot.height) == (720, 1600)  # 1440 x 3200, long side to 1600
    with Image.open(shot.file) as stored:
        assert stored.size == (720, 1600)


@pytest.mark.parametrize("language", ["en", "bn"])
def test_give_back_is_apart_from_send_proof_and_asks_first(phone, assignment, language):
    assignment.worker.language = language
    assignment.worker.save(update_fields=["language"])
    open_proof_form(phone, assignment)
    assert phone.evaluate("document.documentElement.lang") == language
    send = phone.locator("#proof-form button[type=submit]:not([form])").bounding_box()
    give_back = phone.locator("main a[href$='/release/']")
    box = give_back.bounding_box()
    assert box["y"] - (send["y"] + send["height"]) >= 48  # not a slip of the thumb away
    assert box["height"] >= 44
    give_back.click()
    phone.wait_for_url("**/release/")
    assert fits_the_screen(phone)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLAIMED  # asking changed nothing
    phone.click("main form[action$='/release/'] button[type=submit]")
    phone.wait_for_url("**/work/mine/")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RELEASED
