"""Kaaj-Signature: what employers check, with the helper the webhooks page shows them."""

import time

import pytest

from webhooks.signing import VERIFY_SNIPPET, signature_header, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"assignment.approved","data":{}}'


def _copied_verify():
    """The snippet from the page, run as an employer would paste it."""
    scope: dict = {}
    exec(VERIFY_SNIPPET, scope)  # noqa: S102 (our own constant)
    return scope["verify_signature"]


@pytest.fixture(params=["module", "snippet"])
def verify(request):
    return verify_signature if request.param == "module" else _copied_verify()


def test_a_fresh_signature_verifies(verify):
    header = signature_header(SECRET, BODY, int(time.time()))
    assert header.startswith("t=") and ",v1=" in header
    assert verify(SECRET, BODY, header)
    assert verify(SECRET, BODY.decode(), header)


def test_a_tampered_body_fails(verify):
    header = signature_header(SECRET, BODY, int(time.time()))
    assert not verify(SECRET, BODY.replace(b"approved", b"rejected"), header)


def test_the_wrong_secret_fails(verify):
    header = signature_header(SECRET, BODY, int(time.time()))
    assert not verify("whsec_other", BODY, header)


def test_an_old_or_future_timestamp_fails(verify):
    now = time.time()
    old = signature_header(SECRET, BODY, int(now) - 301)
    future = signature_header(SECRET, BODY, int(now) + 301)
    assert not verify(SECRET, BODY, old, now=now)
    assert not verify(SECRET, BODY, future, now=now)
    assert verify(SECRET, BODY, old, tolerance=600, now=now)


def test_a_timestamp_changed_after_signing_fails(verify):
    now = int(time.time())
    header = signature_header(SECRET, BODY, now)
    assert not verify(SECRET, BODY, header.replace(f"t={now}", f"t={now + 1}"))


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "v1=00", "t=1"])
def test_malformed_headers_fail(verify, header):
    assert not verify(SECRET, BODY, header)


def test_the_snippet_is_the_helper():
    """The page's snippet and the module's helper run the same code after their docstrings."""
    import inspect

    def code(source: str) -> str:
        return source.split('"""', 2)[2].strip()

    assert code(inspect.getsource(verify_signature)) == code(VERIFY_SNIPPET)
