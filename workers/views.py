"""Employers' pages about workers: block a worker from the review queue, the list of blocked
workers, and lifting a block. Objects come through helpers that 404 for anybody else's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from tasks.models import Assignment

from . import selectors, services

BLOCKS_PAGE_SIZE = 50


@login_required
@require_POST
def block_from_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Block the worker of this assignment (one on the employer's campaigns, else 404) from
    all the employer's campaigns, and go back to the review queue where the employer was."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("worker"), pk=pk, campaign__employer=request.user
    )
    try:
        services.worker_block(employer=request.user, worker=assignment.worker)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s no longer sees your campaigns.") % {"name": assignment.worker.public_name},
        )
    url = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def blocks(request: HttpRequest) -> HttpResponse:
    """The workers the employer blocked, newest first."""
    page = Paginator(selectors.blocks_of(request.user), BLOCKS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "workers/blocks.html", {"page": page})


@login_required
@require_POST
def block_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift one of the employer's blocks; 404 for anybody else's."""
    block = selectors.block_of(request.user, pk)
    services.block_remove(block=block, by=request.user)
    messages.success(
        request, _("%(name)s can see your campaigns again.") % {"name": block.worker.public_name}
    )
    return redirect("workers:blocks")
