"""Asserting a service's refusal: the one domain error, with the code it must carry."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core.errors import DomainError


@contextmanager
def refused(code: str, match: str | None = None):
    """``with refused("insufficient_funds"):`` — the block raises DomainError with ``code``
    (and a message matching ``match``, when given)."""
    with pytest.raises(DomainError, match=match) as caught:
        yield caught
    assert caught.value.code == code, caught.value
