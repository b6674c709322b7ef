"""Blocks, the service side: blocking is idempotent, refuses nonsense, and the feed and claims
follow it; lifting a block is for the employer who made it."""

import pytest

from workers.claims import task_claim
from workers.models import Block
from workers.selectors import blocks_of, feed, is_blocked
from workers.services import REASON_MAX_LENGTH, block_remove, worker_block

from ..refusals import refused
from ..tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db


def test_blocking_records_the_reason_once(employer, worker):
    block, created = worker_block(employer=employer, worker=worker, reason="  Fake proofs ")
    assert created and (block.employer, block.worker, block.reason) == (
        employer,
        worker,
        "Fake proofs",
    )
    again, created = worker_block(employer=employer, worker=worker, reason="Other reason")
    assert not created and again.pk == block.pk
    assert list(Block.objects.values_list("reason", flat=True)) == ["Fake proofs"]


def test_blocking_refuses_no_worker_yourself_and_a_long_reason(employer, worker):
    with refused("invalid_worker") as caught:
        worker_block(employer=employer, worker=None)
    assert caught.value.errors == {"worker": ["There is no such worker."]}
    with refused("cannot_block_self") as caught:
        worker_block(employer=employer, worker=employer)
    assert caught.value.status == 400 and list(caught.value.errors) == ["worker"]
    with refused("invalid") as caught:
        worker_block(employer=employer, worker=worker, reason="x" * (REASON_MAX_LENGTH + 1))
    assert list(caught.value.errors) == ["reason"]
    assert not Block.objects.exists()
    worker_block(employer=employer, worker=worker, reason="x" * REASON_MAX_LENGTH)
    assert Block.objects.count() == 1


def test_a_block_is_the_employers_own(employer, worker, outsider):
    block, _ = worker_block(employer=employer, worker=worker)
    worker_block(employer=outsider, worker=worker)
    assert list(blocks_of(employer)) == [block]
    with refused("not_found") as caught:
        block_remove(block=block, by=outsider)
    assert caught.value.status == 404 and is_blocked(employer_id=employer.pk, worker=worker)
    block_remove(block=block, by=employer)
    assert not is_blocked(employer_id=employer.pk, worker=worker)
    assert is_blocked(employer_id=outsider.pk, worker=worker)  # somebody else's block stays
    block_remove(block=block, by=employer)  # a second click changes nothing


def test_a_blocked_worker_loses_the_employers_campaigns_until_unblocked(
    employer, worker, outsider, moderator
):
    mine = active_campaign(employer, moderator, title="Mine")
    active_campaign(employer, moderator, title="Mine too")
    active_campaign(outsider, moderator, title="Someone else's")
    everything = ["Mine", "Mine too", "Someone else's"]
    assert sorted(c.title for c in feed(worker=worker)) == everything
    block, _ = worker_block(employer=employer, worker=worker)
    assert [c.title for c in feed(worker=worker)] == ["Someone else's"]
    with refused("not_eligible", match="does not take your work"):
        task_claim(campaign=mine, worker=worker)
    block_remove(block=block, by=employer)
    assert sorted(c.title for c in feed(worker=worker)) == everything
    assert task_claim(campaign=mine, worker=worker).worker == worker
