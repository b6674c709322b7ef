"""Blocks, the API: list, block (idempotent: 201 when new, 200 when already blocked) and
lift; another employer's block is a 404."""

import pytest

from tests.factories import UserFactory
from workers.models import Block
from workers.services import worker_block

pytestmark = pytest.mark.django_db

BLOCKS = "/api/v1/blocks/"


def test_the_list_is_the_employers_blocks_newest_first(
    api_as, employer, worker, outsider, django_assert_max_num_queries
):
    first, _ = worker_block(employer=employer, worker=worker, reason="Fake proofs")
    for n in range(4):
        worker_block(employer=employer, worker=UserFactory(display_name=f"Blocked {n}"))
    worker_block(employer=outsider, worker=worker)
    client = api_as(employer)
    with django_assert_max_num_queries(3):
        response = client.get(BLOCKS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and body["next"] is None and body["previous"] is None
    assert [row["worker_name"] for row in body["results"]] == [
        "Blocked 3",
        "Blocked 2",
        "Blocked 1",
        "Blocked 0",
        "Karim",
    ]
    assert body["results"][-1] == {
        "id": first.pk,
        "worker": worker.pk,
        "worker_name": "Karim",
        "reason": "Fake proofs",
        "created_at": body["results"][-1]["created_at"],
    }
    assert body["results"][-1]["created_at"].startswith(str(first.created_at.year))


def test_blocking_is_201_then_200_with_the_same_block(api_as, employer, worker):
    client = api_as(employer)
    response = client.post(BLOCKS, {"worker": worker.pk, "reason": "Copied answers"})
    assert response.status_code == 201, response.json()
    block = Block.objects.get()
    assert response.json()["id"] == block.pk and response.json()["worker_name"] == "Karim"
    assert (block.employer, block.worker, block.reason) == (employer, worker, "Copied answers")
    again = client.post(BLOCKS, {"worker": worker.pk})
    assert again.status_code == 200 and again.json() == response.json()
    assert Block.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"worker": 10**9}, "invalid_worker", "worker"),
        ({"worker": 10**30}, "invalid_worker", "worker"),
        ({}, "required", "worker"),
        ({"worker": "karim"}, "invalid", "worker"),
        ({"worker": "SELF"}, "cannot_block_self", "worker"),
        ({"worker": "WORKER", "reason": "x" * 501}, "max_length", "reason"),
    ],
)
def test_blocking_refuses_bad_input_with_400(api_as, employer, worker, body, code, field):
    body = {
        key: {"SELF": employer.pk, "WORKER": worker.pk}.get(value, value)
        for key, value in body.items()
    }
    response = api_as(employer).post(BLOCKS, body)
    assert response.status_code == 400
    assert response.json()["code"] == code and list(response.json()["errors"]) == [field]
    assert not Block.objects.exists()


def test_unblocking_is_204_and_others_blocks_are_404(api_as, employer, worker, outsider):
    block, _ = worker_block(employer=employer, worker=worker)
    url = f"{BLOCKS}{block.pk}/"
    for other in (outsider, worker):
        response = api_as(other).delete(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Block.objects.filter(pk=block.pk).exists()
    client = api_as(employer)
    response = client.delete(url)
    assert response.status_code == 204 and not Block.objects.exists()
    assert client.delete(url).status_code == 404
    assert client.get(url).status_code == 405


def test_blocks_need_a_signed_in_user(api_client, worker):
    assert api_client.get(BLOCKS).status_code == 401
    assert api_client.post(BLOCKS, {"worker": worker.pk}).status_code == 401
    block, _ = worker_block(employer=UserFactory(), worker=worker)
    assert api_client.delete(f"{BLOCKS}{block.pk}/").status_code == 401
    assert Block.objects.count() == 1
