import pytest
from rest_framework.test import APIClient

from accounts.services import moderator_grant

from .factories import UserFactory


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
    return moderator_grant(user=UserFactory(email="moderator@example.com"))


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """``api_as(user)``: an API client authenticated with the user's token."""
    from accounts.services import token_issue

    def login(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
        return api_client

    return login
