"""Rows built once for a whole test module (or class), as Django's ``TestCase.setUpTestData``
builds them once for a class.

A module- or class-scoped fixture builds its world inside ``module_transaction``: one
transaction that is rolled back when the module (class) ends. Each test then runs in
pytest-django's own transaction, a savepoint inside that one, rolled back after the test,
so a test that writes never leaks into the next. Keep what the fixture hands out immutable
(ids, or rows the tests reload): an instance one test changed in memory would reach the
next test changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import transaction


@contextmanager
def module_transaction(django_db_blocker) -> Iterator[None]:
    """``with module_transaction(django_db_blocker): build; yield world`` in a fixture
    with ``scope="module"`` (or ``"class"``) that asks for ``django_db_setup``."""
    from tasks.categories import categories_ensure

    with django_db_blocker.unblock(), transaction.atomic():
        # A transactional test earlier in the run may have flushed the categories and
        # recreated the content types under new ids (as tests/conftest.py's _categories says).
        categories_ensure()
        ContentType.objects.clear_cache()
        yield
        transaction.set_rollback(True)
