"""Uploads on S3 (marketplace/storage.py), against a real S3 API on loopback: moto's server,
started once for the module, its bucket made with boto3, the default storage built from the
same variables a deployment sets.

Screenshots and dispute evidence land in the bucket, privately, and stream through the
permission check (tasks/files.py) to the assignment's worker, the campaign's employer and
moderators only, from pages and the API alike; look-alikes are still found; a refusal after
the files were stored leaves no object behind. Objects outlive each test's rolled-back rows,
so the tests compare the bucket's keys before and after rather than counting them.
"""

from __future__ import annotations

import io
import os
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import FileResponse
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from storages.backends.s3 import S3File, S3Storage

from accounts.models import User
from accounts.services import moderator_grant
from core.errors import DomainError
from marketplace.storage import storage_check, upload_storage, upload_storage_problems
from tasks import services
from tasks.models import Assignment, AssignmentStatus, Campaign, Dispute, Screenshot
from tasks.services.disputes import dispute_open
from tasks.views.screenshots import screenshot
from workers.claims import task_claim

from ..factories import UserFactory
from ..module_db import module_transaction
from ..s3 import BUCKET, bucket_keys, s3_client, s3_environment, s3_server
from ..test_settings_deploy import COMPLETE_ENVIRONMENT, manage
from .api_helpers import SHOT_FIELDS, png, submitted
from .dispute_helpers import rejected
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(scope="module")
def s3():
    """The S3 server, its bucket, and the default storage pointed at it for the module."""
    with s3_server() as endpoint:
        environment = s3_environment(endpoint)
        client = s3_client(environment)
        client.create_bucket(Bucket=BUCKET)
        storages = {**settings.STORAGES, "default": upload_storage(environment)}
        with override_settings(STORAGES=storages):
            yield SimpleNamespace(client=client, environment=environment)


@pytest.fixture(scope="module")
def world(s3, django_db_setup, django_db_blocker):
    """An employer's campaign with the worker's submitted screenshot, another with the
    worker's rejection disputed with evidence; a second worker, another employer and a
    moderator. Only ids are kept (module_db.py)."""
    with module_transaction(django_db_blocker):
        employer = UserFactory(email="employer@example.com", display_name="Rahim Traders")
        worker = UserFactory(email="worker@example.com", display_name="Karim")
        other_worker = UserFactory(email="other-worker@example.com")
        other_employer = UserFactory(email="other-employer@example.com")
        moderator = moderator_grant(user=UserFactory(email="moderator@example.com"))
        shots = active_campaign(
            employer, moderator, title="Shots", positions=10, proof_fields=SHOT_FIELDS
        )
        proof = submitted(employer, worker, moderator, campaign=shots, shot=1)
        disputes = active_campaign(employer, moderator, title="Disputes", proof_fields=SHOT_FIELDS)
        dispute = dispute_open(
            assignment=rejected(employer, worker, moderator, campaign=disputes),
            by=worker,
            reason="See the picture",
            evidence=png(5),
        )
        yield SimpleNamespace(
            employer=employer.pk,
            worker=worker.pk,
            other_worker=other_worker.pk,
            other_employer=other_employer.pk,
            moderator=moderator.pk,
            shots=shots.pk,
            disputes=disputes.pk,
            shot=proof.submissions.get().screenshots.get().pk,
            dispute=dispute.pk,
        )


def _user(world, role: str) -> User:
    return User.objects.get(pk=getattr(world, role))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _object(s3, key: str) -> bytes:
    return s3.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _campaign(pk: int) -> Campaign:
    return Campaign.objects.get(pk=pk)


def _new_worker() -> User:
    return UserFactory()


# --- storing -----------------------------------------------------------------------------------


def test_screenshots_and_evidence_are_objects_in_the_bucket_without_a_public_grant(s3, world):
    shot = Screenshot.objects.get(pk=world.shot)
    evidence = Dispute.objects.get(pk=world.dispute).evidence
    assert isinstance(Screenshot._meta.get_field("file").storage._wrapped, S3Storage)
    keys = bucket_keys(s3.client)
    for name in (shot.file.name, evidence.name):
        assert name.startswith("private/screenshots/") and name in keys
        assert _object(s3, name).startswith(b"\x89PNG")
        grants = s3.client.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert {grant["Grantee"]["Type"] for grant in grants} == {"CanonicalUser"}


def test_a_name_already_taken_is_never_overwritten(s3):
    first = default_storage.save("private/screenshots/same.png", ContentFile(b"first"))
    second = default_storage.save("private/screenshots/same.png", ContentFile(b"second"))
    assert first != second
    assert (_object(s3, first), _object(s3, second)) == (b"first", b"second")
    for name in (first, second):
        default_storage.delete(name)
    assert not {first, second} & bucket_keys(s3.client)


def test_a_prefix_shares_the_bucket_and_stays_out_of_the_stored_names(s3):
    options = upload_storage({**s3.environment, "AWS_LOCATION": "kaaj"})["OPTIONS"]
    storage = S3Storage(**options)
    name = storage.save("private/screenshots/prefixed.png", ContentFile(b"picture"))
    assert name == "private/screenshots/prefixed.png"
    assert _object(s3, f"kaaj/{name}") == b"picture"
    with storage.open(name) as stored:
        assert stored.read() == b"picture"
    storage.delete(name)
    assert f"kaaj/{name}" not in bucket_keys(s3.client)


def test_proof_sent_from_the_page_and_the_api_lands_in_the_bucket(client, api_as, s3, world):
    campaign = world.shots
    by_page, by_api = _new_worker(), _new_worker()
    before = bucket_keys(s3.client)
    page_claim = task_claim(campaign=_campaign(campaign), worker=by_page)
    client.force_login(by_page)
    response = client.post(
        reverse("workers:assignment", args=[page_claim.pk]),
        {"username": "karim", "screenshot": png(21)},
    )
    assert response.status_code == 302
    api_claim = task_claim(campaign=_campaign(campaign), worker=by_api)
    response = api_as(by_api).post(
        f"{API}/assignments/{api_claim.pk}/submit/",
        {"username": "karim", "screenshot": png(33)},
        format="multipart",
    )
    assert response.status_code == 200, response.json()

    names = set(
        Screenshot.objects.filter(
            submission__assignment__in=[page_claim.pk, api_claim.pk]
        ).values_list("file", flat=True)
    )
    assert len(names) == 2 and bucket_keys(s3.client) - before == names


# --- reading: the one rule, pages and API alike ------------------------------------------------

HEADERS = {
    "Content-Type": "image/png",
    "Cache-Control": "private, max-age=3600",
    "X-Content-Type-Options": "nosniff",
}


def _files(world) -> list[tuple[str, str, str, str]]:
    """(page URL, API URL, object key, Content-Disposition) of the screenshot and evidence."""
    shot = Screenshot.objects.get(pk=world.shot)
    dispute = Dispute.objects.get(pk=world.dispute)
    return [
        (
            reverse("tasks:screenshot", args=[shot.pk]),
            f"{API}/screenshots/{shot.pk}/",
            shot.file.name,
            f'inline; filename="screenshot-{shot.pk}.png"',
        ),
        (
            reverse("tasks:dispute_evidence", args=[dispute.pk]),
            f"{API}/disputes/{dispute.pk}/evidence/",
            dispute.evidence.name,
            f'inline; filename="dispute-{dispute.pk}.png"',
        ),
    ]


@pytest.mark.parametrize("role", ["worker", "employer", "moderator"])
def test_the_two_sides_and_moderators_get_the_stored_bytes(client, api_as, s3, world, role):
    user = _user(world, role)
    client.force_login(user)
    api = api_as(user)
    for page, api_url, key, disposition in _files(world):
        stored = _object(s3, key)
        for response in (client.get(page), api.get(api_url)):
            assert response.status_code == 200, (role, page)
            assert {name: response[name] for name in HEADERS} == HEADERS
            assert response["Content-Disposition"] == disposition
            assert response["Content-Length"] == str(len(stored))
            assert _body(response) == stored


@pytest.mark.parametrize("role", ["other_worker", "other_employer"])
def test_anybody_else_gets_404(client, api_as, world, role):
    user = _user(world, role)
    client.force_login(user)
    api = api_as(user)
    for page, api_url, _key, _disposition in _files(world):
        assert (client.get(page).status_code, api.get(api_url).status_code) == (404, 404)


def test_anonymous_visitors_are_sent_to_log_in_and_api_callers_refused(client, api_client, world):
    for page, api_url, _key, _disposition in _files(world):
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert api_client.get(api_url).status_code == 401


def test_a_large_picture_streams_in_chunks_and_its_s3_file_is_closed(rf, s3, world):
    """As a WSGI server serves it: the body read block by block, then the response closed."""
    noise = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    worker = _new_worker()
    assignment = task_claim(campaign=_campaign(world.shots), worker=worker)
    services.assignment_submit(
        assignment=assignment,
        worker=worker,
        answers={"username": "karim"},
        files={"screenshot": [SimpleUploadedFile("noise.png", out.getvalue(), "image/png")]},
    )
    shot = Screenshot.objects.get(submission__assignment=assignment)
    stored = _object(s3, shot.file.name)
    assert len(stored) > 10 * FileResponse.block_size

    request = rf.get(reverse("tasks:screenshot", args=[shot.pk]))
    request.user = worker
    response = screenshot(request, shot.pk)
    assert response["Content-Length"] == str(len(stored))
    opened = response.file_to_stream
    assert isinstance(opened.file, S3File) and not opened.closed
    chunks = list(response.streaming_content)
    assert len(chunks) > 10 and max(len(chunk) for chunk in chunks) <= FileResponse.block_size
    assert b"".join(chunks) == stored
    # As Django's test client does: closing fires request_finished, which would otherwise
    # close the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert opened.closed and opened.file.closed


# --- look-alikes and refusals --------------------------------------------------------------------


def test_a_look_alike_from_another_worker_is_still_found_on_s3(s3, world):
    """The check flags (``duplicate_of``) for the employer's eye; it never refuses."""
    campaign = _campaign(world.shots)
    copier, honest = _new_worker(), _new_worker()
    copy = submitted(None, copier, None, campaign=campaign, shot=1)  # the worker's picture
    own = submitted(None, honest, None, campaign=campaign, shot=40)
    copied = copy.submissions.get().screenshots.get()
    original = own.submissions.get().screenshots.get()
    assert copied.duplicate_of_id == world.shot and original.duplicate_of_id is None
    assert {copied.file.name, original.file.name} <= bucket_keys(s3.client)


def _expired(assignment: Assignment) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now())


def _sent_already(assignment: Assignment) -> None:
    services.assignment_submit(
        assignment=Assignment.objects.get(pk=assignment.pk),
        worker=assignment.worker,
        answers={"username": "karim"},
        files={"screenshot": [png(50)]},
    )


@pytest.mark.parametrize(
    ("meanwhile", "code"), [(_expired, "expired"), (_sent_already, "invalid_status")]
)
def test_proof_refused_after_its_screenshots_were_stored_leaves_no_object(
    s3, world, meanwhile, code
):
    worker = _new_worker()
    assignment = task_claim(campaign=_campaign(world.shots), worker=worker)
    meanwhile(assignment)
    before = bucket_keys(s3.client)
    with pytest.raises(DomainError) as refusal:
        services.assignment_submit(
            assignment=assignment,
            worker=worker,
            answers={"username": "karim"},
            files={"screenshot": [png(60), png(61)]},
        )
    assert refusal.value.code == code
    assert bucket_keys(s3.client) == before


def test_proof_refused_by_the_api_leaves_no_object(api_as, s3, world):
    worker = _new_worker()
    assignment = task_claim(campaign=_campaign(world.shots), worker=worker)
    _expired(assignment)
    before = bucket_keys(s3.client)
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/submit/",
        {"username": "karim", "screenshot": png(70)},
        format="multipart",
    )
    assert response.status_code == 409 and response.json()["code"] == "expired"
    assert bucket_keys(s3.client) == before
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.CLAIMED


# --- dispute evidence ---------------------------------------------------------------------------


def test_evidence_sent_from_the_page_and_the_api_lands_in_the_bucket(client, api_as, s3, world):
    employer, moderator = _user(world, "employer"), _user(world, "moderator")
    campaign = _campaign(world.disputes)
    by_page = rejected(employer, _new_worker(), moderator, campaign=campaign)
    by_api = rejected(employer, _new_worker(), moderator, campaign=campaign)
    before = bucket_keys(s3.client)
    client.force_login(by_page.worker)
    response = client.post(
        reverse("tasks:dispute_open", args=[by_page.pk]), {"reason": "See", "evidence": png(80)}
    )
    assert response.status_code == 302
    response = api_as(by_api.worker).post(
        f"{API}/assignments/{by_api.pk}/dispute/",
        {"reason": "See", "evidence": png(81)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    names = set(
        Dispute.objects.filter(assignment__in=[by_page, by_api]).values_list("evidence", flat=True)
    )
    assert len(names) == 2 and bucket_keys(s3.client) - before == names


def test_evidence_refused_after_it_was_stored_leaves_no_object(s3, world):
    employer, moderator = _user(world, "employer"), _user(world, "moderator")
    assignment = rejected(employer, _new_worker(), moderator, campaign=_campaign(world.disputes))
    # The window sweeper closes it while the worker's request is on its way: the worker's
    # copy still says rejected, so the picture is stored before the row lock says no.
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.CLOSED)
    before = bucket_keys(s3.client)
    with pytest.raises(DomainError) as refusal:
        dispute_open(assignment=assignment, by=assignment.worker, reason="See", evidence=png(90))
    assert refusal.value.code == "dispute_window_closed"
    assert bucket_keys(s3.client) == before


# --- GET /readyz's storage check ----------------------------------------------------------------


def test_the_storage_check_passes_on_the_bucket_and_names_what_is_wrong(s3):
    assert storage_check() is None
    missing = S3Storage(
        **upload_storage({**s3.environment, "AWS_STORAGE_BUCKET_NAME": "gone"})["OPTIONS"]
    )
    assert storage_check(missing) == "S3 bucket not found"
    down = {**s3.environment, "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9"}  # discard: closed
    started = time.monotonic()
    assert storage_check(S3Storage(**upload_storage(down)["OPTIONS"])) == (
        "S3 unreachable (EndpointConnectionError)"
    )
    assert time.monotonic() - started < 5


def test_the_storage_check_on_the_local_disk(tmp_path):
    assert storage_check(FileSystemStorage(location=tmp_path / "media" / "new")) is None
    (tmp_path / "taken").write_text("a file, not a directory")
    assert storage_check(FileSystemStorage(location=tmp_path / "taken")) == (
        "MEDIA_ROOT is not a writable directory"
    )
    assert storage_check(InMemoryStorage()) is None


# --- the variables ------------------------------------------------------------------------------


def test_without_a_bucket_uploads_stay_on_the_local_disk():
    assert upload_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert upload_storage_problems({}) == []


def test_a_bucket_is_private_and_reached_by_path_on_its_own_endpoint(s3):
    options = upload_storage({**s3.environment, "AWS_LOCATION": "/kaaj/"})["OPTIONS"]
    assert options["default_acl"] is None and options["file_overwrite"] is False
    assert options["querystring_auth"] is True and options["location"] == "kaaj"
    assert options["client_config"].s3 == {"addressing_style": "path"}
    on_aws = upload_storage({"AWS_STORAGE_BUCKET_NAME": "kaaj"})["OPTIONS"]
    assert on_aws["client_config"].s3 == {"addressing_style": None}
    assert on_aws["access_key"] is None and on_aws["endpoint_url"] is None


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"AWS_S3_ENDPOINT_URL": "http://minio:9000"}, "AWS_STORAGE_BUCKET_NAME is not"),
        ({"AWS_STORAGE_BUCKET_NAME": "k", "AWS_ACCESS_KEY_ID": "a"}, "Set AWS_ACCESS_KEY_ID and"),
        ({"AWS_STORAGE_BUCKET_NAME": "k", "AWS_SECRET_ACCESS_KEY": "s"}, "Set AWS_ACCESS_KEY_ID"),
        ({"AWS_STORAGE_BUCKET_NAME": "k", "AWS_S3_ENDPOINT_URL": "minio:9000"}, "give the S3"),
        ({"AWS_STORAGE_BUCKET_NAME": "k", "AWS_S3_ADDRESSING_STYLE": "dns"}, "use path, virtual"),
    ],
)
def test_variables_that_cannot_work_are_named(environment, problem):
    problems = upload_storage_problems(environment)
    assert len(problems) == 1 and problem in problems[0]


def test_a_bucket_without_keys_is_fine_since_boto3_finds_them_itself():
    assert upload_storage_problems({"AWS_STORAGE_BUCKET_NAME": "kaaj"}) == []


@pytest.mark.slow
def test_production_refuses_a_key_without_its_secret_and_checks_clean_with_a_bucket():
    bucket = {"AWS_STORAGE_BUCKET_NAME": "kaaj", "AWS_S3_REGION_NAME": "eu-central-1"}
    result = manage("check", **COMPLETE_ENVIRONMENT, **bucket, AWS_ACCESS_KEY_ID="AKIA0")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.stderr
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **COMPLETE_ENVIRONMENT, **bucket
    )
    assert result.returncode == 0, result.stdout + result.stderr
