"""The proof form on a slow connection: a proof sent back with an error keeps the screenshots
that passed (on the server, privately), the next proof takes them over, a claim that ends
deletes them; the form carries the browser's checks; giving a task back asks first."""

import io
import random
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tasks import services
from tasks.models import AssignmentStatus, KeptScreenshot, Screenshot, Submission
from tests.factories import UserFactory
from workers.claims import task_claim

from ..tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

PROOFS = [
    {"key": "username", "label": "Your username", "kind": "text", "required": True},
    {"key": "profile", "label": "Your profile", "kind": "url", "required": False},
    {"key": "shot", "label": "Screenshot of the page", "kind": "screenshot", "required": True},
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def picture(seed: int = 1, size: tuple[int, int] = (64, 64), kind: str = "PNG", **save):
    """A real picture made with Pillow; different seeds give pictures that do not look alike."""
    rng = random.Random(seed)  # noqa: S311 - test pictures, not secrets
    pixels = bytes(rng.randrange(256) for _ in range(size[0] * size[1]))
    out = io.BytesIO()
    Image.frombytes("L", size, pixels).convert("RGB").save(out, format=kind, **save)
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[kind]
    return SimpleUploadedFile(
        f"proof.{extension}", out.getvalue(), content_type=f"image/{extension}"
    )


@pytest.fixture
def claimed(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, proof_fields=PROOFS)
    return task_claim(campaign=campaign, worker=worker)


def page_of(assignment) -> str:
    return reverse("workers:assignment", args=[assignment.pk])


def send_with_an_error(client, assignment, seed=1):
    """A proof whose screenshot is fine but whose username is missing."""
    response = client.post(page_of(assignment), {"username": "", "shot": picture(seed)})
    assert response.status_code == 400
    return response.content.decode()


def test_a_proof_with_an_error_keeps_its_good_screenshot_and_says_so(client, worker, claimed):
    client.force_login(worker)
    html = send_with_an_error(client, claimed)
    kept = KeptScreenshot.objects.get(assignment=claimed)
    assert kept.field_key == "shot" and kept.content_type == "image/png"
    assert kept.file.name.startswith("private/screenshots/")
    assert default_storage.exists(kept.file.name)
    assert not Submission.objects.exists() and not Screenshot.objects.exists()
    assert "This proof is required." in html
    assert "Already uploaded — kept." in html  # next to the field, before its input
    assert html.index('id="id_shot_kept"') < html.index('name="shot"')
    assert reverse("tasks:kept_screenshot", args=[kept.pk]) in html
    assert reverse("workers:assignment_kept_forget", args=[claimed.pk, kept.pk]) in html
    shot_input = html.split('name="shot"', 1)[1].split(">", 1)[0]
    assert "required" not in shot_input  # the kept one answers the field
    # It stays kept when the page is opened again.
    assert "Already uploaded — kept." in client.get(page_of(claimed)).content.decode()


def test_the_kept_screenshot_is_attached_when_the_proof_is_sent(client, worker, claimed):
    client.force_login(worker)
    send_with_an_error(client, claimed)
    kept = KeptScreenshot.objects.get()
    response = client.post(page_of(claimed), {"username": "karim"})  # no file this time
    assert response.status_code == 302 and response["Location"] == reverse("workers:my_work")
    claimed.refresh_from_db()
    assert claimed.status == AssignmentStatus.SUBMITTED
    shot = Submission.objects.get().screenshots.get()
    assert (shot.field_key, shot.file.name, shot.phash) == ("shot", kept.file.name, kept.phash)
    assert default_storage.exists(shot.file.name)
    assert not KeptScreenshot.objects.exists()


def test_a_new_screenshot_replaces_the_kept_one(
    client, worker, claimed, django_capture_on_commit_callbacks
):
    client.force_login(worker)
    send_with_an_error(client, claimed, seed=1)
    first = KeptScreenshot.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        send_with_an_error(client, claimed, seed=2)  # another error, another picture
    second = KeptScreenshot.objects.get()
    assert second.phash != first.phash and not default_storage.exists(first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_of(claimed), {"username": "karim", "shot": picture(3)})
    shot = Screenshot.objects.get()
    assert shot.file.name != second.file.name and not default_storage.exists(second.file.name)
    assert not KeptScreenshot.objects.exists()


def test_kept_screenshots_are_seen_only_by_the_worker_the_employer_and_moderators(
    client, employer, worker, outsider, moderator, claimed
):
    client.force_login(worker)
    send_with_an_error(client, claimed)
    url = reverse("tasks:kept_screenshot", args=[KeptScreenshot.objects.get().pk])
    for allowed in (worker, employer, moderator):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert "private" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for refused in (outsider, UserFactory()):
        client.force_login(refused)
        assert client.get(url).status_code == 404
    client.logout()
    assert "/accounts/login/" in client.get(url)["Location"]


def test_only_the_worker_removes_a_kept_screenshot(
    client, worker, outsider, claimed, django_capture_on_commit_callbacks
):
    client.force_login(worker)
    send_with_an_error(client, claimed)
    kept = KeptScreenshot.objects.get()
    remove = reverse("workers:assignment_kept_forget", args=[claimed.pk, kept.pk])
    client.force_login(outsider)
    assert client.post(remove).status_code == 404
    client.force_login(worker)
    assert client.get(remove).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remove)["Location"] == page_of(claimed)
    assert not KeptScreenshot.objects.exists()
    assert not default_storage.exists(kept.file.name)
    html = client.get(page_of(claimed)).content.decode()
    assert "Already uploaded" not in html
    assert "required" in html.split('name="shot"', 1)[1].split(">", 1)[0]


@pytest.mark.parametrize("ending", ["release", "expiry"])
def test_kept_screenshots_are_deleted_when_the_claim_ends(
    ending, client, worker, claimed, django_capture_on_commit_callbacks
):
    client.force_login(worker)
    send_with_an_error(client, claimed)
    name = KeptScreenshot.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        if ending == "release":
            client.post(reverse("workers:assignment_release", args=[claimed.pk]))
        else:
            with time_machine.travel(claimed.expires_at + timedelta(minutes=1)):
                assert services.assignments_expire_due() == 1
    claimed.refresh_from_db()
    assert claimed.status in (AssignmentStatus.RELEASED, AssignmentStatus.EXPIRED)
    assert not KeptScreenshot.objects.exists()
    assert not default_storage.exists(name)


def test_nothing_is_kept_through_the_api_or_after_the_claim_ended(worker, claimed):
    from core.errors import DomainError

    with pytest.raises(DomainError):  # the API's call: keep is off
        services.assignment_submit(
            assignment=claimed, worker=worker, answers={}, files={"shot": [picture()]}
        )
    assert not KeptScreenshot.objects.exists()
    services.assignment_release(assignment=claimed, worker=worker)
    with pytest.raises(DomainError):
        services.assignment_submit(
            assignment=claimed, worker=worker, answers={}, files={"shot": [picture()]}, keep=True
        )
    assert not KeptScreenshot.objects.exists()


def test_a_script_sending_the_form_gets_the_redirect_as_a_header(client, worker, claimed):
    client.force_login(worker)
    response = client.post(
        page_of(claimed), {"username": "karim", "shot": picture()}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("workers:my_work")
    # The message waits for that page, not for the script's request.
    assert "Proof sent." in client.get(reverse("workers:my_work")).content.decode()


def test_the_form_carries_the_browsers_checks(client, worker, claimed):
    client.force_login(worker)
    html = client.get(page_of(claimed)).content.decode()
    form = html.split('id="proof-form"', 1)[1].split("</form>", 1)[0]
    assert "novalidate" not in html.split('id="proof-form"', 1)[0].rsplit("<form", 1)[1]
    username = form.split('name="username"', 1)[1].split(">", 1)[0]
    assert "required" in username and 'maxlength="2000"' in username
    profile = form.split('name="profile"', 1)[1].split(">", 1)[0]
    assert 'type="url"' in form.split('name="profile"', 1)[0].rsplit("<input", 1)[1]
    assert "required" not in profile and 'pattern="https?://.+"' in profile
    assert "required" in form.split('name="shot"', 1)[1].split(">", 1)[0]
    assert 'accept="image/jpeg,image/png,image/webp"' in form
    assert "<progress" in form
    assert "js/proof.js" in html
    assert "{#" not in html and "#}" not in html  # no template comment shown as text


def test_give_back_is_a_link_to_a_confirmation_away_from_send_proof(client, worker, claimed):
    client.force_login(worker)
    html = client.get(page_of(claimed)).content.decode()
    release = reverse("workers:assignment_release", args=[claimed.pk])
    assert f'action="{release}"' not in html  # no one-tap button
    assert f'href="{release}"' in html
    assert html.index("</form>", html.index('id="proof-form"')) < html.index(f'href="{release}"')
    services.assignment_release(assignment=claimed, worker=worker)
    assert client.get(release)["Location"] == page_of(claimed)  # nothing left to give back


def test_webp_is_accepted_and_a_sideways_photo_is_turned_upright(worker, claimed):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    services.assignment_submit(
        assignment=claimed,
        worker=worker,
        answers={"username": "karim"},
        files={"shot": [picture(size=(120, 40), kind="JPEG", exif=exif.tobytes())]},
    )
    shot = Screenshot.objects.get()
    assert (shot.width, shot.height) == (40, 120)
    with Image.open(shot.file) as stored:
        assert stored.size == (40, 120) and not stored.getexif()
    other = task_claim(campaign=claimed.campaign, worker=UserFactory(country="BD"))
    services.assignment_submit(
        assignment=other,
        worker=other.worker,
        answers={"username": "rina"},
        files={"shot": [picture(seed=9, kind="WEBP", quality=80)]},
    )
    webp = Screenshot.objects.get(submission__assignment=other)
    assert webp.content_type == "image/webp" and webp.file.name.endswith(".webp")
