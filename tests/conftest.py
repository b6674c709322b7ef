import pytest
from rest_framework.test import APIClient

from accounts.services import moderator_grant

from .factories import UserFactory, two_step_on


@pytest.fixture
def employer(db):
    return UserFactory(email="employer@example.com", display_name="Rahim Traders")


@pytest.fixture
def worker(db):
    return UserFactory(email="worker@example.com", display_name="Karim")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", display_name="Someone Else")


@pytest.fixture
def moderator(db):
    """A moderator as Kaaj requires one: two-step sign-in on (tests.factories.TOTP_SECRET).
    tests/test_mfa.py builds the ones without."""
    return two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """``api_as(user)``: an API client authenticated with the user's token."""
    from accounts.services import token_issue

    def login(user):
        _token, key = token_issue(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api_client

    return login


@pytest.fixture(autouse=True)
def _categories(request):
    """Kaaj's categories come from a data migration; a transactional test's flush empties the
    table for the tests after it, so every database test gets them back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False) or (marker.args and marker.args[0])
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.contrib.contenttypes.models import ContentType

    from tasks.categories import categories_ensure

    categories_ensure()
    # The flush also recreates the content types under new ids; the process-wide cache
    # would still hand out the old ones (the audit log's target type, for one).
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _default_language_and_zone():
    """Django's LocaleMiddleware leaves the language of the last request active in its thread
    (each request in production activates its own): every test starts from the defaults, so
    no test depends on the one that ran before it."""
    yield
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with no rate-limit counters: the cache is a real Redis that the
    whole run shares (only this run's keys are deleted; one SCAN, cheap)."""
    from django.core.cache import cache

    cache.clear_own()
