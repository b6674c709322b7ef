"""An employer's groups of chosen workers: the list (and a new group), one group (its members,
adding one by number, taking one out, renaming, deleting), and adding the worker of a
submission from the review queue. Every group comes through ``tasks.selectors.group_of``,
which 404s for anybody else's; every change is a POST through ``tasks.services.groups``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.errors import DomainError, form_error
from tasks.models import Assignment
from tasks.selectors import group_members, group_of, groups_of
from tasks.services.groups import (
    campaigns_using,
    group_create,
    group_delete,
    group_member_add,
    group_member_remove,
    group_rename,
)

from .forms import AddToGroupForm, GroupForm, GroupMemberForm

MEMBERS_PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def groups_page(request: HttpRequest) -> HttpResponse:
    """The employer's groups, and a form for a new one."""
    form = GroupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_create(owner=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Group “%(name)s” made: add workers to it.") % {"name": group.name},
            )
            return redirect("workers:group", pk=group.pk)
    return render(
        request,
        "workers/groups.html",
        {"groups": groups_of(request.user), "form": form},
        status=400 if form.errors else 200,
    )


def _group_page(request, group, *, member_form=None, name_form=None, status=200):
    page = Paginator(group_members(group), MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workers/group.html",
        {
            "group": group,
            "page": page,
            "member_form": member_form or GroupMemberForm(),
            "name_form": name_form or GroupForm(initial={"name": group.name}, prefix="rename"),
            "campaigns": campaigns_using(group),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def group_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the employer's groups: its members and the campaigns open to it."""
    return _group_page(request, group_of(request.user, pk))


@login_required
@require_POST
def group_member_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_of(request.user, pk)
    form = GroupMemberForm(request.POST)
    if form.is_valid():
        worker = User.objects.filter(pk=form.cleaned_data["worker"]).first()
        try:
            _member, added = group_member_add(group=group, worker=worker, by=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            text = (
                _("%(name)s is in the group now.")
                if added
                else _("%(name)s was in the group already.")
            )
            messages.success(request, text % {"name": worker.public_name})
            return redirect("workers:group", pk=group.pk)
    return _group_page(request, group, member_form=form, status=400)


@login_required
@require_POST
def group_member_remove_view(request: HttpRequest, pk: int, worker_id: int) -> HttpResponse:
    group = group_of(request.user, pk)
    if group_member_remove(group=group, worker_id=worker_id, by=request.user):
        messages.success(request, _("Taken out of the group."))
    return redirect("workers:group", pk=group.pk)


@login_required
@require_POST
def group_rename_view(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_of(request.user, pk)
    form = GroupForm(request.POST, prefix="rename")
    if form.is_valid():
        try:
            group_rename(group=group, name=form.cleaned_data["name"], by=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Renamed."))
            return redirect("workers:group", pk=group.pk)
    return _group_page(request, group, name_form=form, status=400)


@login_required
@require_POST
def group_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_of(request.user, pk)
    try:
        group_delete(group=group, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("workers:group", pk=group.pk)
    messages.success(request, _("Group “%(name)s” deleted.") % {"name": group.name})
    return redirect("workers:groups")


@login_required
@require_http_methods(["GET", "POST"])
def group_add_from_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the worker of this assignment (one on the employer's campaigns, else 404) into one
    of the employer's groups, or a new one; then back to the review queue."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("worker"), pk=pk, campaign__employer=request.user
    )
    queue = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
    back = f"{queue}#assignment-{assignment.pk}"
    groups = groups_of(request.user)
    form = AddToGroupForm(request.POST if request.method == "POST" else None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a new group only with its first member
                group = form.cleaned_data.get("group") or group_create(
                    owner=request.user, name=form.cleaned_data["new_name"]
                )
                _member, added = group_member_add(
                    group=group, worker=assignment.worker, by=request.user
                )
        except DomainError as error:
            form_error(form, error, fields={"name": "new_name", "worker": None})
        else:
            text = (
                _("%(name)s is in “%(group)s” now.")
                if added
                else _("%(name)s was in “%(group)s” already.")
            )
            messages.success(
                request, text % {"name": assignment.worker.public_name, "group": group.name}
            )
            return redirect(back)
    return render(
        request,
        "workers/group_add.html",
        {"assignment": assignment, "form": form, "back": back},
        status=400 if form.errors else 200,
    )
