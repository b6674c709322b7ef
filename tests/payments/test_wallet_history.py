"""The wallet's history in plain words from each side: the employer's launch as one move into
escrow, Kaaj's fee apart from the worker's pay, campaigns and tasks by their titles, linked."""

import html

import pytest

from tasks import services
from workers.claims import task_claim

from ..tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

WALLET = "/money/wallet/"
TITLE = "Sign up to the <Dhaka> food forum"


@pytest.fixture
def approved(employer, worker, moderator):
    """One task of ``TITLE`` approved: the employer paid its reward and Kaaj's fee."""
    campaign = active_campaign(employer, moderator, title=TITLE)
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": "karim"}, files={}
    )
    services.submission_approve(assignment=assignment, by=employer)
    return assignment


def history(client, user) -> str:
    client.force_login(user)
    page = client.get(WALLET).content.decode()
    return html.unescape(page.split("<h2>", 2)[-1])


def test_the_employer_sees_the_launch_as_one_line_and_the_fee_as_kaajs(client, employer, approved):
    page = history(client, employer)
    campaign = approved.campaign
    manage = f'href="/campaigns/{campaign.pk}/"'
    assert page.count(f"Moved into escrow for {TITLE}") == 1
    assert f"Escrow for {TITLE}" not in page  # no second, + line for the same move
    assert f"Kaaj's fee for a task of {TITLE}" in page
    assert page.count("Paid a worker for an approved task") == 1  # the reward, not the fee
    assert manage in page
    assert f'href="/campaigns/{campaign.pk}/#assignment-{approved.pk}"' in page
    assert f"campaign #{campaign.pk}" not in page


def test_the_worker_sees_the_pay_for_the_task_by_its_title(client, worker, approved):
    page = history(client, worker)
    assert f"Paid for an approved task of {TITLE}" in page
    assert f'href="/work/assignments/{approved.pk}/"' in page
    assert "fee" not in page


def test_the_api_ledger_keeps_one_line_per_balance_with_the_new_words(api_as, employer, approved):
    lines = api_as(employer).get("/api/v1/ledger/").json()["results"]
    fund = [line for line in lines if line["kind"] == "escrow_fund"]
    assert sorted(line["amount_cents"] < 0 for line in fund) == [False, True]
    fees = [line for line in lines if line["description"].startswith("Kaaj's fee")]
    assert len(fees) == 1 and fees[0]["account"] == "escrow"


def test_the_wallet_names_a_page_of_movements_in_a_fixed_number_of_queries(
    client, employer, worker, moderator, django_assert_max_num_queries
):
    for n in range(4):
        campaign = active_campaign(employer, moderator, title=f"Campaign {n}")
        assignment = task_claim(campaign=campaign, worker=worker)
        services.assignment_submit(
            assignment=assignment, worker=worker, answers={"username": "k"}, files={}
        )
        services.submission_approve(assignment=assignment, by=employer)
    client.force_login(employer)
    client.get(WALLET)
    # user, balances, count, page, campaigns' names, tasks' names, unread notifications
    with django_assert_max_num_queries(8):
        page = client.get(WALLET).content.decode()
    assert all(f"Moved into escrow for Campaign {n}" in page for n in range(4))
