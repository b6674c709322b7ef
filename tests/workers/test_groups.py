"""Groups of chosen workers and private campaigns: an employer names groups and fills them (by
worker number, from the review queue), a campaign open to some groups is seen and claimed by
their workers only (the "private" rule of workers.eligibility, feed and claim alike), and the
workers hear when it goes live. Service, pages and API, with their refusals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, NotificationKind
from tasks import limits
from tasks.models import Campaign, CampaignStatus, GroupMember, WorkerGroup
from tasks.services import campaign_create, campaign_launch, campaign_moderate
from tasks.services.groups import (
    group_create,
    group_delete,
    group_member_add,
    group_member_remove,
    group_rename,
)
from workers.claims import task_claim
from workers.selectors import feed

from ..factories import UserFactory
from ..payments.helpers import give
from ..refusals import refused
from ..tasks.api_helpers import submitted
from ..tasks.helpers import active_campaign, spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted(employer, worker):
    """The employer's group "Trusted", with the worker in it."""
    group = group_create(owner=employer, name="Trusted")
    group_member_add(group=group, worker=worker, by=employer)
    return group


def private_campaign(employer, moderator, groups, **overrides):
    return active_campaign(employer, moderator, groups=tuple(g.pk for g in groups), **overrides)


# --- the service ------------------------------------------------------------------------------


def test_groups_are_named_once_per_employer_and_counted(employer, outsider):
    group = group_create(owner=employer, name="  Careful   typists ")
    assert group.name == "Careful typists"
    with refused("invalid") as caught:
        group_create(owner=employer, name="Careful typists")
    assert caught.value.status == 409 and caught.value.field == "name"
    assert group_create(owner=outsider, name="Careful typists").owner == outsider
    with refused("invalid"):
        group_create(owner=employer, name=" ")
    with refused("invalid"):
        group_create(owner=employer, name="x" * (limits.GROUP_NAME_MAX_CHARS + 1))
    assert WorkerGroup.objects.filter(owner=employer).count() == 1


def test_an_employer_keeps_at_most_groups_max(employer, settings, monkeypatch):
    monkeypatch.setattr(limits, "GROUPS_MAX", 2)
    group_create(owner=employer, name="One")
    group_create(owner=employer, name="Two")
    with refused("limit_reached"):
        group_create(owner=employer, name="Three")


def test_members_are_added_once_and_only_real_other_workers(employer, worker, outsider):
    group = group_create(owner=employer, name="Trusted")
    member, added = group_member_add(group=group, worker=worker, by=employer)
    again, added_again = group_member_add(group=group, worker=worker, by=employer)
    assert added and not added_again and again == member
    with refused("invalid_worker"):
        group_member_add(group=group, worker=None, by=employer)
    with refused("own_group"):
        group_member_add(group=group, worker=employer, by=employer)
    with refused("not_found"):
        group_member_add(group=group, worker=outsider, by=outsider)
    assert group_member_remove(group=group, worker_id=worker.pk, by=employer)
    assert not group_member_remove(group=group, worker_id=worker.pk, by=employer)
    assert not GroupMember.objects.exists()


def test_a_group_holds_at_most_group_members_max(employer, worker, outsider, monkeypatch):
    monkeypatch.setattr(limits, "GROUP_MEMBERS_MAX", 1)
    group = group_create(owner=employer, name="Small")
    group_member_add(group=group, worker=worker, by=employer)
    with refused("limit_reached"):
        group_member_add(group=group, worker=outsider, by=employer)
    group_member_add(group=group, worker=worker, by=employer)  # already in: no refusal


def test_racing_adds_of_one_worker_make_one_member(employer, worker, transactional_db):
    from ..payments.helpers import run_together

    group = group_create(owner=employer, name="Trusted")
    results = run_together(4, lambda _i: group_member_add(group=group, worker=worker, by=employer))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(added for _member, added in results) == 1
    assert GroupMember.objects.count() == 1


def test_rename_and_delete_belong_to_the_owner_and_spare_groups_in_use(
    employer, worker, outsider, moderator, trusted
):
    other = group_create(owner=employer, name="Others")
    with refused("invalid"):
        group_rename(group=other, name="Trusted", by=employer)
    with refused("not_found"):
        group_rename(group=other, name="Mine", by=outsider)
    assert group_rename(group=other, name="Spare", by=employer).name == "Spare"
    campaign = private_campaign(employer, moderator, [trusted])
    with refused("group_in_use", match="Sign up to our newsletter"):
        group_delete(group=trusted, by=employer)
    with refused("not_found"):
        group_delete(group=other, by=outsider)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.COMPLETED)
    group_delete(group=trusted, by=employer)
    assert not WorkerGroup.objects.filter(pk=trusted.pk).exists()
    assert not GroupMember.objects.filter(worker=worker).exists()


def test_a_campaign_may_name_only_the_employers_own_groups_with_workers(
    employer, outsider, worker, trusted, monkeypatch
):
    give(employer, 1_000, key="groups")
    foreign = group_create(owner=outsider, name="Theirs")
    group_member_add(group=foreign, worker=worker, by=outsider)
    with refused("invalid", match="your own groups") as caught:
        campaign_create(employer=employer, spec=spec(groups=(foreign.pk,)))
    assert caught.value.field == "groups"
    empty = group_create(owner=employer, name="Empty")
    with refused("invalid", match="Empty has no workers"):
        campaign_create(employer=employer, spec=spec(groups=(empty.pk,)))
    monkeypatch.setattr(limits, "CAMPAIGN_GROUPS_MAX", 0)
    with refused("invalid", match="at most 0 groups"):
        campaign_create(employer=employer, spec=spec(groups=(trusted.pk,)))
    assert not Campaign.objects.exists()


# --- who sees and claims a private campaign ----------------------------------------------------


def test_only_the_groups_workers_see_and_claim_a_private_campaign(
    employer, worker, outsider, moderator, trusted
):
    campaign = private_campaign(employer, moderator, [trusted])
    assert list(feed(worker=worker)) == [campaign]
    assert list(feed(worker=outsider)) == []
    with refused("private_campaign"):
        task_claim(campaign=campaign, worker=outsider)
    assert task_claim(campaign=campaign, worker=worker).worker == worker
    # Taken out of the group: the campaign leaves their feed.
    group_member_remove(group=trusted, worker_id=worker.pk, by=employer)
    assert list(feed(worker=worker)) == []


def test_the_pages_and_the_api_hide_a_private_campaign_from_others(
    client, api_as, employer, worker, outsider, moderator, trusted
):
    campaign = private_campaign(employer, moderator, [trusted])
    page = f"/work/campaigns/{campaign.pk}/"
    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(f"{page}claim/").status_code == 404
    response = api_as(outsider).post(f"/api/v1/campaigns/{campaign.pk}/claim/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    client.force_login(worker)
    shown = client.get(page)
    assert shown.status_code == 200 and "A private campaign" in shown.content.decode()
    assert api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/").status_code == 201


def test_the_groups_workers_hear_when_it_goes_live_once(employer, worker, outsider, moderator):
    group = group_create(owner=employer, name="Trusted")
    second = group_create(owner=employer, name="Typists")
    for member, into in ((worker, group), (worker, second), (outsider, second)):
        group_member_add(group=into, worker=member, by=employer)
    give(employer, 10_000, key="live")
    campaign = campaign_create(employer=employer, spec=spec(groups=(group.pk, second.pk)))
    campaign = campaign_launch(campaign=campaign, by=employer)
    assert not Notification.objects.filter(kind=NotificationKind.PRIVATE_CAMPAIGN).exists()
    campaign_moderate(campaign=campaign, by=moderator, approve=True)
    told = Notification.objects.filter(kind=NotificationKind.PRIVATE_CAMPAIGN)
    assert sorted(n.user_id for n in told) == sorted([worker.pk, outsider.pk])
    assert told[0].params["campaign_title"] == campaign.title
    assert told[0].url == f"/work/campaigns/{campaign.pk}/"
    public = active_campaign(employer, moderator, title="Open to all")
    assert public.pk and told.count() == 2  # a campaign for everybody tells nobody


# --- the employer's pages ------------------------------------------------------------------------


def test_an_employer_makes_a_group_and_fills_it_by_number(client, employer, worker, outsider):
    client.force_login(employer)
    assert client.get("/groups/").status_code == 200
    refused_page = client.post("/groups/", {"name": ""})
    assert refused_page.status_code == 400 and "This field is required" in refused_page.text
    made = client.post("/groups/", {"name": "Trusted"})
    group = WorkerGroup.objects.get(owner=employer)
    assert made.status_code == 302 and made["Location"] == f"/groups/{group.pk}/"
    duplicate = client.post("/groups/", {"name": "Trusted"})
    assert duplicate.status_code == 400 and "already have a group of that name" in duplicate.text

    url = f"/groups/{group.pk}/members/"
    assert client.post(url, {"worker": worker.pk}).status_code == 302
    unknown = client.post(url, {"worker": 999_999})
    assert unknown.status_code == 400 and "There is no such worker" in unknown.text
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "Karim" in page and f"Number {worker.pk}" in page

    assert client.post(f"/groups/{group.pk}/rename/", {"rename-name": "Best"}).status_code == 302
    assert WorkerGroup.objects.get(pk=group.pk).name == "Best"
    client.post(f"/groups/{group.pk}/members/{worker.pk}/remove/")
    assert not GroupMember.objects.exists()
    assert client.post(f"/groups/{group.pk}/delete/").status_code == 302
    assert not WorkerGroup.objects.exists()


def test_group_pages_are_the_owners_only(client, employer, outsider, trusted):
    client.force_login(outsider)
    for url in (f"/groups/{trusted.pk}/", f"/groups/{trusted.pk}/members/"):
        method = client.get if url.endswith(f"{trusted.pk}/") else client.post
        assert method(url).status_code == 404
    assert client.post(f"/groups/{trusted.pk}/delete/").status_code == 404
    assert client.get(f"/groups/{trusted.pk}/delete/").status_code == 405
    assert WorkerGroup.objects.filter(pk=trusted.pk).exists()


def test_the_review_queue_adds_a_worker_to_a_group_new_or_old(client, employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    url = f"/reviews/{assignment.pk}/add-to-group/"
    client.force_login(employer)
    queue = client.get(f"/campaigns/{assignment.campaign_id}/").content.decode()
    assert url in queue
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400
    done = client.post(url, {"new_name": "From reviews"})
    assert done.status_code == 302 and f"#assignment-{assignment.pk}" in done["Location"]
    group = WorkerGroup.objects.get(owner=employer, name="From reviews")
    assert group.members.get().worker == worker
    again = client.post(url, {"group": group.pk}, follow=True)
    assert "was in “From reviews” already" in again.content.decode()
    client.force_login(UserFactory(email="nosy@example.com"))
    assert client.get(url).status_code == 404


def test_the_campaign_form_offers_the_employers_groups(client, employer, trusted):
    client.force_login(employer)
    page = client.get("/campaigns/new/").content.decode()
    assert "Only workers of these groups" in page and "Trusted" in page


# --- the API -------------------------------------------------------------------------------------


def test_the_api_makes_lists_and_fills_groups(api_as, employer, worker, outsider, moderator):
    api = api_as(employer)
    made = api.post("/api/v1/groups/", {"name": "Trusted"}, format="json")
    assert made.status_code == 201 and made.json()["member_count"] == 0
    pk = made.json()["id"]
    assert api.post("/api/v1/groups/", {"name": "Trusted"}, format="json").status_code == 409
    members = f"/api/v1/groups/{pk}/members/"
    assert api.post(members, {"worker": worker.pk}, format="json").status_code == 201
    assert api.post(members, {"worker": worker.pk}, format="json").status_code == 200
    bad = api.post(members, {"worker": 999_999}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_worker"
    listed = api.get(members).json()["results"]
    assert [(m["worker"], m["worker_name"]) for m in listed] == [(worker.pk, "Karim")]
    assert api.get("/api/v1/groups/").json()["results"][0]["member_count"] == 1
    assert api.patch(f"/api/v1/groups/{pk}/", {"name": "Best"}, format="json").json()["name"] == (
        "Best"
    )

    give(employer, 10_000, key="api-groups")
    body = {
        "title": "Private survey",
        "category": "sign-up",
        "instructions": "Answer five questions.",
        "reward_cents": 50,
        "positions": 2,
        "proof_fields": [{"key": "code", "label": "Code", "kind": "text"}],
        "groups": [pk],
    }
    created = api.post("/api/v1/campaigns/", body, format="json")
    assert created.status_code == 201 and created.json()["groups"] == [pk]
    in_use = api.delete(f"/api/v1/groups/{pk}/")
    assert in_use.status_code == 409 and in_use.json()["code"] == "group_in_use"

    other = api_as(outsider)
    assert other.get(f"/api/v1/groups/{pk}/").status_code == 404
    assert other.post(members, {"worker": outsider.pk}, format="json").status_code == 404
    api = api_as(employer)
    assert api.delete(members, {"worker": worker.pk}, format="json").status_code == 204
    assert not GroupMember.objects.exists()


def test_lists_cost_a_fixed_number_of_queries(api_as, client, employer, worker):
    group = group_create(owner=employer, name="Trusted")

    def counts() -> tuple[int, int, int]:
        api = api_as(employer)
        client.force_login(employer)
        sizes = []
        for fetch in (
            lambda: api.get("/api/v1/groups/"),
            lambda: api.get(f"/api/v1/groups/{group.pk}/members/"),
            lambda: client.get(f"/groups/{group.pk}/"),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert fetch().status_code == 200
            sizes.append(len(queries))
        return tuple(sizes)

    for n in range(2):
        group_member_add(group=group, worker=UserFactory(email=f"few{n}@example.com"), by=employer)
        group_create(owner=employer, name=f"Few {n}")
    few = counts()
    for n in range(6):
        group_member_add(group=group, worker=UserFactory(email=f"many{n}@example.com"), by=employer)
        group_create(owner=employer, name=f"Many {n}")
    assert counts() == few


def test_ratings_keep_a_private_campaigns_title_from_outsiders(
    client, api_as, employer, worker, outsider, moderator, trusted
):
    from tasks.services import submission_approve
    from tasks.services.ratings import rating_save

    campaign = private_campaign(employer, moderator, [trusted], title="Secret launch test")
    assignment = task_claim(campaign=campaign, worker=worker)
    from tasks.services import assignment_submit

    assignment_submit(assignment=assignment, worker=worker, answers={"username": "k"}, files={})
    submission_approve(assignment=assignment, by=employer)
    rating_save(campaign=campaign, worker=worker, pay=5, clarity=4, speed=5, comment="Good")
    url = f"/api/v1/employers/{employer.pk}/ratings/"
    seen = api_as(outsider).get(url).json()["results"][0]
    assert seen["campaign_title"] == "" and seen["pay"] == 5
    assert api_as(worker).get(url).json()["results"][0]["campaign_title"] == "Secret launch test"
    client.force_login(outsider)
    page = client.get(f"/employers/{employer.pk}/ratings/").content.decode()
    assert "for a private campaign" in page and "Secret launch test" not in page
    client.force_login(employer)
    assert "Secret launch test" in client.get(f"/employers/{employer.pk}/ratings/").text
