"""Groups of chosen workers ("hire groups"): an employer names a group, adds workers to it
(by id, from the review queue, from a worker's record) and opens a campaign to one or more
groups only (``Campaign.groups``). ``workers.eligibility``'s rule "private" holds the feed
and the claim to it; the members hear when such a campaign goes live
(``notifications.receivers``).

Limits are ``tasks.limits``' ``GROUP*``. Racing writes are safe: the owner's row is locked
while a group is made (the count per owner), the group's row while a member is added (the
count per group), and the unique constraints settle a worker added twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from tasks import limits
from tasks.models import Campaign, CampaignStatus, GroupMember, WorkerGroup

# Campaigns that may still take work: a group they name stays (a finished one keeps the id
# of a group deleted since, which no longer matters).
NOT_OVER = (
    CampaignStatus.DRAFT,
    CampaignStatus.IN_REVIEW,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
)


def group_name_check(name: str) -> str:
    """The name as stored, or DomainError (400, ``field="name"``)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("invalid", _("Give the group a name."), field="name")
    if len(name) > limits.GROUP_NAME_MAX_CHARS:
        raise DomainError(
            "invalid",
            _("Keep the name under %(n)s characters.") % {"n": limits.GROUP_NAME_MAX_CHARS},
            field="name",
        )
    return name


def _name_taken() -> DomainError:
    return DomainError(
        "invalid", _("You already have a group of that name."), field="name", status=409
    )


@transaction.atomic
def group_create(*, owner: User, name: str) -> WorkerGroup:
    """A new, empty group of ``owner``'s. Refused (nothing written): ``invalid`` for a
    missing or long name (400) or one the owner already uses (409), ``limit_reached``
    (409) past ``GROUPS_MAX``."""
    name = group_name_check(name)
    User.objects.select_for_update().filter(pk=owner.pk).first()  # one owner's groups at a time
    if WorkerGroup.objects.filter(owner=owner).count() >= limits.GROUPS_MAX:
        raise DomainError(
            "limit_reached",
            _("You have %(n)s groups, as many as Kaaj keeps: delete one first.")
            % {"n": limits.GROUPS_MAX},
            status=409,
        )
    if WorkerGroup.objects.filter(owner=owner, name=name).exists():
        raise _name_taken()
    return WorkerGroup.objects.create(owner=owner, name=name)


@transaction.atomic
def group_rename(*, group: WorkerGroup, name: str, by: User) -> WorkerGroup:
    """Rename one of ``by``'s groups (404 for anybody else's); refusals as
    :func:`group_create`'s."""
    if group.owner_id != by.pk:
        raise not_found()
    name = group_name_check(name)
    if WorkerGroup.objects.filter(owner=by, name=name).exclude(pk=group.pk).exists():
        raise _name_taken()
    try:
        with transaction.atomic():
            WorkerGroup.objects.filter(pk=group.pk).update(name=name)
    except IntegrityError:  # the same name given to another group at the same moment
        raise _name_taken() from None
    group.name = name
    return group


def campaigns_using(group: WorkerGroup) -> list[Campaign]:
    """The campaigns not over yet that are open to ``group``."""
    return list(
        Campaign.objects.filter(groups__contains=[group.pk], status__in=NOT_OVER).order_by("id")
    )


@transaction.atomic
def group_delete(*, group: WorkerGroup, by: User) -> None:
    """Delete one of ``by``'s groups and its members list (404 for anybody else's). Refused
    with ``group_in_use`` (409) while a campaign not over is open to it: its workers would
    lose the campaign half way."""
    if group.owner_id != by.pk:
        raise not_found()
    WorkerGroup.objects.select_for_update().filter(pk=group.pk).first()
    using = campaigns_using(group)
    if using:
        raise DomainError(
            "group_in_use",
            _("“%(title)s” is open to this group: change or end that campaign first.")
            % {"title": using[0].title},
            status=409,
        )
    GroupMember.objects.filter(group=group).delete()
    WorkerGroup.objects.filter(pk=group.pk).delete()


@transaction.atomic
def group_member_add(
    *, group: WorkerGroup, worker: User | None, by: User
) -> tuple[GroupMember, bool]:
    """Add ``worker`` to one of ``by``'s groups (404 for anybody else's). Idempotent: a
    worker already in it stays as added first. Returns the member and whether it was added
    now. Refused (400 unless said, nothing written): ``invalid_worker`` for no such (active)
    user, ``own_group`` for the owner themselves, ``limit_reached`` (409) past
    ``GROUP_MEMBERS_MAX``."""
    if group.owner_id != by.pk:
        raise not_found()
    if worker is None or not worker.is_active:
        raise DomainError("invalid_worker", _("There is no such worker."), field="worker")
    if worker.pk == by.pk:
        raise DomainError(
            "own_group", _("You cannot add yourself to your own group."), field="worker"
        )
    WorkerGroup.objects.select_for_update().filter(pk=group.pk).first()  # the count below
    found = GroupMember.objects.filter(group=group, worker=worker).first()
    if found is not None:
        return found, False
    if GroupMember.objects.filter(group=group).count() >= limits.GROUP_MEMBERS_MAX:
        raise DomainError(
            "limit_reached",
            _("This group has %(n)s workers, as many as a group holds.")
            % {"n": limits.GROUP_MEMBERS_MAX},
            status=409,
        )
    return GroupMember.objects.create(group=group, worker=worker), True


def group_member_remove(*, group: WorkerGroup, worker_id: int, by: User) -> bool:
    """Take a worker out of one of ``by``'s groups (404 for anybody else's): they no longer
    see its private campaigns; work they claimed runs its course. Whether they were in it
    (a second click removes nothing and raises nothing)."""
    if group.owner_id != by.pk:
        raise not_found()
    deleted, _rows = GroupMember.objects.filter(group=group, worker_id=worker_id).delete()
    return bool(deleted)
