"""Kaaj's webhook signatures (Stripe-style).

Every request carries ``Kaaj-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`` where the HMAC
key is the endpoint's secret and the message is ``f"{t}.{raw body}"``. Receivers check it
with :func:`verify_signature`, which only needs the standard library: the webhooks page shows
it for employers to copy.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Kaaj-Signature"
EVENT_HEADER = "Kaaj-Event"
DELIVERY_HEADER = "Kaaj-Delivery"


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Kaaj-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- What employers copy: keep it self-contained (stdlib only) -------------------------------
VERIFY_SNIPPET = '''import hashlib
import hmac
import time


def verify_signature(secret, body, header, tolerance=300, now=None):
    """True when ``header`` (Kaaj-Signature) signs ``body`` (the raw request bytes)
    with ``secret`` and was made at most ``tolerance`` seconds ago."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError, AttributeError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    if isinstance(body, str):
        body = body.encode()
    message = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    signatures = [v for k, v in (i.split("=", 1) for i in header.split(",")) if k == "v1"]
    return any(hmac.compare_digest(expected, s) for s in signatures)
'''


def verify_signature(
    secret: str, body: bytes | str, header: str, tolerance: int = 300, now: float | None = None
) -> bool:
    """True when ``header`` (Kaaj-Signature) signs ``body`` (the raw request bytes) with
    ``secret`` and was made at most ``tolerance`` seconds ago (either way, for clock skew).
    Several ``v1=`` values are accepted (one per valid secret). Same code as VERIFY_SNIPPET."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError, AttributeError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    if isinstance(body, str):
        body = body.encode()
    message = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    signatures = [v for k, v in (i.split("=", 1) for i in header.split(",")) if k == "v1"]
    return any(hmac.compare_digest(expected, s) for s in signatures)
