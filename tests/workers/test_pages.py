"""Blocks, the pages: block from the review queue, the list of blocked workers, unblock.
Each action is POST-only, for the employer concerned; anybody else gets a 404."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from workers.models import Block
from workers.services import worker_block

from ..tasks.api_helpers import submitted

pytestmark = pytest.mark.django_db

BLOCKS = "/blocks/"


@pytest.fixture
def assignment(employer, worker, moderator):
    """A submission from ``worker`` waiting in ``employer``'s review queue."""
    return submitted(employer, worker, moderator)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_blocking_from_the_queue_goes_back_to_it(client, employer, worker, assignment):
    client.force_login(employer)
    url = reverse("workers:block_from_review", args=[assignment.pk])
    assert url == f"/reviews/{assignment.pk}/block-worker/"
    response = client.post(f"{url}?status=submitted&page=2")
    queue = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
    assert (
        response.status_code == 302 and response["Location"] == f"{queue}?status=submitted&page=2"
    )
    assert Block.objects.filter(employer=employer, worker=worker, reason="").exists()
    response = client.post(url, follow=True)  # twice: still one block
    assert response.redirect_chain[-1][0] == queue
    assert messages_of(response) == ["Karim no longer sees your campaigns."] * 2
    assert Block.objects.count() == 1


def test_blocking_from_the_queue_is_for_the_campaigns_owner(
    client, employer, worker, outsider, moderator, assignment
):
    url = reverse("workers:block_from_review", args=[assignment.pk])
    for other in (outsider, worker, moderator):
        client.force_login(other)
        assert client.post(url).status_code == 404, other
    client.force_login(employer)
    assert client.get(url).status_code == 200  # it asks first
    assert client.post(reverse("workers:block_from_review", args=[10**9])).status_code == 404
    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Block.objects.exists()


def test_the_review_queue_links_to_the_block_page_which_asks_first(client, employer, assignment):
    client.force_login(employer)
    html = client.get(reverse("tasks:campaign_manage", args=[assignment.campaign_id])).content
    url = reverse("workers:block_from_review", args=[assignment.pk])
    card = html.decode().split(f'id="assignment-{assignment.pk}"', 1)[1]
    assert f'href="{url}?status=submitted"' in card
    assert f'action="{url}' not in card  # no block in one tap under "Reject"
    page = client.get(f"{url}?status=submitted").content.decode()
    assert "Karim will no longer see any of your campaigns" in page
    assert f'action="{url}?status=submitted"' in page
    assert f'?status=submitted#assignment-{assignment.pk}"' in page  # back where it was
    assert not Block.objects.exists()


def test_the_list_shows_the_employers_blocks_only(
    client, employer, worker, outsider, django_assert_max_num_queries
):
    with time_machine.travel(datetime(2025, 3, 14, 12, tzinfo=UTC)):
        worker_block(employer=employer, worker=worker, reason="Fake screenshots")
    for n in range(5):
        worker_block(employer=employer, worker=UserFactory(display_name=f"Blocked {n}"))
    worker_block(employer=outsider, worker=UserFactory(display_name="Not mine"))
    client.force_login(employer)
    with django_assert_max_num_queries(5):
        response = client.get(BLOCKS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Karim" in html and "Fake screenshots" in html and "Blocked 4" in html
    assert "Not mine" not in html
    block = Block.objects.get(employer=employer, worker=worker)
    assert f'action="{reverse("workers:block_remove", args=[block.pk])}"' in html
    assert "Blocked on 14 Mar 2025 · Fake screenshots" in html


def test_the_list_without_blocks_says_so_and_needs_a_login(client, outsider):
    response = client.get(BLOCKS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert "You have not blocked any worker." in client.get(BLOCKS).content.decode()
    assert client.post(BLOCKS).status_code == 405


def test_my_campaigns_links_to_the_blocks(client, employer):
    client.force_login(employer)
    assert f'href="{BLOCKS}"' in client.get(reverse("tasks:my_campaigns")).content.decode()


def test_unblocking_lets_the_worker_back(client, employer, worker):
    block, _ = worker_block(employer=employer, worker=worker)
    url = reverse("workers:block_remove", args=[block.pk])
    assert url == f"/blocks/{block.pk}/remove/"
    client.force_login(employer)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(BLOCKS, 302)]
    assert messages_of(response) == ["Karim can see your campaigns again."]
    assert not Block.objects.exists()
    assert client.post(url).status_code == 404  # already lifted


def test_unblocking_is_for_the_employer_who_blocked(client, employer, worker, outsider):
    block, _ = worker_block(employer=employer, worker=worker)
    url = reverse("workers:block_remove", args=[block.pk])
    for other in (outsider, worker):
        client.force_login(other)
        assert client.post(url).status_code == 404
    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Block.objects.filter(pk=block.pk).exists()


def test_block_and_unblock_need_the_csrf_token(employer, worker, assignment):
    block, _ = worker_block(employer=employer, worker=UserFactory())
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(employer)
    assert strict.post(reverse("workers:block_remove", args=[block.pk])).status_code == 403
    url = reverse("workers:block_from_review", args=[assignment.pk])
    assert strict.post(url).status_code == 403
    assert list(Block.objects.all()) == [block]
    strict.get(BLOCKS)  # the page sets the token its forms send
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        reverse("workers:block_remove", args=[block.pk]), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and not Block.objects.exists()
