"""Where uploads are kept: the local disk, or an S3-compatible bucket (AWS S3, MinIO, ...).

Proof screenshots and dispute evidence are written and read only through Django's storage API
(``default_storage`` and the models' FileFields), so where they live is one setting,
``STORAGES["default"]``, built here from the environment in every environment's settings: the
local disk under MEDIA_ROOT unless ``AWS_STORAGE_BUCKET_NAME`` is set, then django-storages'
S3 backend configured by the standard variables (README, "Object storage"). Several web
machines need the bucket: each one's disk sees only its own uploads.

Either way the files are private. Nothing serves MEDIA_ROOT; objects are written without an
ACL, so they are as private as the bucket (S3 and MinIO: private unless a policy says
otherwise); and no URL to a file is ever rendered: pages and the API stream every file through
the permission check in ``tasks/files.py`` (the page CSP allows images from 'self' only).
Should anything ever ask the backend for a URL, it gets a signed one that expires
(``querystring_auth``), never a public one. Names are random (``tasks.models.screenshot_name``)
and never overwritten: saving asks whether a name is free first, which is why the bucket's
policy must allow ``s3:ListBucket`` as well as ``s3:GetObject``, ``s3:PutObject`` and
``s3:DeleteObject`` (without ListBucket, S3 answers 403 for a missing key instead of 404).

Settings import this module: it reads no Django settings and imports nothing of Kaaj's.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
ADDRESSING_STYLES = ("auto", "virtual", "path")

# A request to the bucket gives up after these many seconds, and is tried at most this often,
# so an S3 that does not answer costs a request seconds, not botocore's minutes (60 s
# timeouts, 5 attempts). Screenshots are at most SCREENSHOT_MAX_BYTES: one read is short.
S3_CONNECT_TIMEOUT_SECONDS = 5
S3_READ_TIMEOUT_SECONDS = 20
S3_MAX_ATTEMPTS = 3
# GET /readyz asks once and quickly: an orchestrator's probe waits a few seconds at most.
PROBE_TIMEOUT_SECONDS = 2


def _value(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def upload_storage(environ: Mapping[str, str]) -> dict:
    """``STORAGES["default"]`` for this environment: the S3 bucket ``AWS_STORAGE_BUCKET_NAME``
    names, else the local disk (MEDIA_ROOT)."""
    bucket = _value(environ, "AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    from botocore.config import Config

    endpoint_url = _value(environ, "AWS_S3_ENDPOINT_URL")
    # A bucket on an endpoint of its own (MinIO, Ceph, moto) is usually reached by path:
    # virtual hosting would need DNS for <bucket>.<host>. AWS itself wants virtual hosts.
    style = _value(environ, "AWS_S3_ADDRESSING_STYLE") or ("path" if endpoint_url else None)
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": _value(environ, "AWS_S3_REGION_NAME") or None,
        # None: boto3's own chain (its environment variables, ~/.aws, an IAM role).
        "access_key": _value(environ, "AWS_ACCESS_KEY_ID") or None,
        "secret_key": _value(environ, "AWS_SECRET_ACCESS_KEY") or None,
        "location": _value(environ, "AWS_LOCATION").strip("/"),
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "client_config": Config(
            s3={"addressing_style": style},
            connect_timeout=S3_CONNECT_TIMEOUT_SECONDS,
            read_timeout=S3_READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": S3_MAX_ATTEMPTS},
        ),
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def upload_storage_problems(environ: Mapping[str, str]) -> list[str]:
    """What is certainly wrong with the object storage variables (production refuses to
    start then), each a sentence saying what to set; empty when nothing is.

    Only what cannot work is refused: missing keys are not a problem by themselves, since
    boto3 also finds credentials in an IAM role or ~/.aws."""
    bucket = _value(environ, "AWS_STORAGE_BUCKET_NAME")
    endpoint_url = _value(environ, "AWS_S3_ENDPOINT_URL")
    if not bucket:
        if endpoint_url:  # meant for S3, yet uploads would land on this machine's disk
            return ["AWS_S3_ENDPOINT_URL is set but AWS_STORAGE_BUCKET_NAME is not: set both."]
        return []
    problems = []
    has_key = bool(_value(environ, "AWS_ACCESS_KEY_ID"))
    if has_key != bool(_value(environ, "AWS_SECRET_ACCESS_KEY")):
        problems.append(
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together, or neither "
            "(boto3 then finds credentials itself, e.g. in an IAM role)."
        )
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                f"AWS_S3_ENDPOINT_URL is {endpoint_url!r}: give the S3 server's URL, "
                "like https://s3.example.com or http://minio:9000."
            )
    style = _value(environ, "AWS_S3_ADDRESSING_STYLE")
    if style and style not in ADDRESSING_STYLES:
        problems.append(f"AWS_S3_ADDRESSING_STYLE is {style!r}: use path, virtual or auto.")
    return problems


def storage_check(storage=None) -> str | None:
    """Whether uploads can be kept now (``GET /readyz``): None, or what is wrong, in a few
    words naming no path or secret. Cheap, and writes nothing.

    S3: one HEAD of the bucket, one attempt with short timeouts (the server answers, the
    bucket exists, the credentials are accepted). The local disk: MEDIA_ROOT is a writable
    directory, or can be made in one (FileSystemStorage makes it on the first upload)."""
    from django.core.files.storage import FileSystemStorage, default_storage

    storage = storage if storage is not None else default_storage
    kind = storage.__class__  # sets default_storage up, importing its backend's module
    # An S3 storage's module is imported by now; importing it here otherwise (boto3, about a
    # second on a cold start) would spend the probe's time on a backend not in use.
    s3 = sys.modules.get("storages.backends.s3")
    if s3 is not None and issubclass(kind, s3.S3Storage):
        return _bucket_check(storage)
    if isinstance(storage, FileSystemStorage):
        return _directory_check(Path(storage.location))
    try:
        storage.exists("readyz")
    except Exception as error:  # any backend's failure is the answer here
        return f"storage unusable ({error.__class__.__name__})"
    return None


def _directory_check(location: Path) -> str | None:
    existing = location
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return "MEDIA_ROOT is not a writable directory"
    return None


def _bucket_check(storage) -> str | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _probe_client(storage).head_bucket(Bucket=storage.bucket_name)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return "S3 bucket not found"
        if status == 403:
            return "S3 bucket refused the credentials"
        return f"S3 answered {status or error.response.get('Error', {}).get('Code')}"
    except BotoCoreError as error:  # unreachable, timed out, no credentials found
        return f"S3 unreachable ({error.__class__.__name__})"
    return None


def _probe_client(storage):
    """A client like the storage's own, with a short timeout and no retry."""
    return _client(
        profile=storage.session_profile,
        credentials=(storage.access_key, storage.secret_key, storage.security_token),
        region_name=storage.region_name,
        use_ssl=storage.use_ssl,
        endpoint_url=storage.endpoint_url,
        verify=storage.verify,
        config=storage.client_config,
    )


@functools.lru_cache(maxsize=4)
def _client(*, profile, credentials, region_name, use_ssl, endpoint_url, verify, config):
    # Made once per configuration: a client costs milliseconds to build, and /readyz is
    # asked every few seconds.
    import boto3
    from botocore.config import Config

    if profile:
        session = boto3.Session(profile_name=profile)
    else:
        key, secret, token = credentials
        session = boto3.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token
        )
    probe = Config(
        connect_timeout=PROBE_TIMEOUT_SECONDS,
        read_timeout=PROBE_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return session.client(
        "s3",
        region_name=region_name,
        use_ssl=use_ssl,
        endpoint_url=endpoint_url,
        config=config.merge(probe),
        verify=verify,
    )
