"""Accounts: suspensions, finding an account, one account's record; suspend and reinstate."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Suspension, User
from accounts.permissions import OwnCase, moderator_required
from core.errors import DomainError, form_error
from moderation import selectors
from moderation.forms import ReasonForm, SuspendForm, UserLookupForm
from moderation.services import user_reinstate, user_suspend
from workers.selectors import success_rate

SUSPENSIONS_PAGE_SIZE = 50


def _render_suspensions(request: HttpRequest, form: SuspendForm, status: int = 200):
    page = Paginator(selectors.active_suspensions(), SUSPENSIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "moderation/suspensions.html",
        {"page": page, "form": form, "reinstate_form": ReasonForm(auto_id=False)},
        status=status,
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def suspensions(request: HttpRequest) -> HttpResponse:
    """Accounts suspended now (each with a reinstate form), and a form to suspend one."""
    if request.method != "POST":
        return _render_suspensions(request, SuspendForm())
    form = SuspendForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["email"]
        try:
            user_suspend(user=user, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error, default=_about_whom(error, form))
        else:
            messages.success(request, _("%(email)s is suspended.") % {"email": user.email})
            return redirect("moderation:suspensions")
    return _render_suspensions(request, form, status=400)


def _about_whom(error: DomainError, form) -> str | None:
    """A refusal about the account itself (a moderator, the moderator's own) belongs next to
    the email that named it."""
    about_whom = error.code.startswith("cannot_") or isinstance(error, OwnCase)
    return "email" if "email" in form.fields and about_whom else None


@moderator_required
@require_GET
def user_lookup(request: HttpRequest) -> HttpResponse:
    """Find an account by email and go to its record."""
    form = UserLookupForm(request.GET or None)
    if form.is_valid():
        return redirect("moderation:user", pk=form.cleaned_data["email"].pk)
    return render(
        request,
        "moderation/user_lookup.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def _render_user(request: HttpRequest, user: User, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    approval_rate, reviewed, disputed = selectors.employer_approval_rate(user)
    history = list(Suspension.objects.filter(user=user).select_related("by", "lifted_by")[:20])
    return render(
        request,
        "moderation/user.html",
        {
            "subject": user,
            "suspended": any(s.is_active for s in history),
            "suspensions": history,
            "success_rate": success_rate(user),
            "approval_rate": approval_rate,
            "reviewed": reviewed,
            "disputed": disputed,
            "campaigns": user.campaigns.order_by("-created_at", "-id")[:10],
            "audit": selectors.audit_about(user),
            "suspend_form": bound.get("suspend") or ReasonForm(auto_id="id_suspend_%s"),
            "reinstate_form": bound.get("reinstate") or ReasonForm(auto_id="id_reinstate_%s"),
        },
        status=status,
    )


@moderator_required
@require_GET
def user_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One account's record: rates, campaigns, suspensions, audit rows about it; the
    suspend or reinstate form."""
    return _render_user(request, get_object_or_404(User, pk=pk))


def _sanction(request: HttpRequest, pk: int, which: str, service, done: str) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = ReasonForm(request.POST, auto_id=f"id_{which}_%s")
    if form.is_valid():
        try:
            service(user=user, by=request.user, reason=form.cleaned_data["reason"])
        except OwnCase as error:  # four eyes; a moderator's record shows no form to err on
            messages.error(request, error.message)
            return redirect("moderation:user", pk=user.pk)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, done % {"email": user.email})
            back = request.POST.get("next")
            if back == "suspensions":
                return redirect("moderation:suspensions")
            return redirect("moderation:user", pk=user.pk)
    return _render_user(request, user, {which: form}, status=400)


@moderator_required
@require_POST
def user_suspend_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _sanction(request, pk, "suspend", user_suspend, _("%(email)s is suspended."))


@moderator_required
@require_POST
def user_reinstate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _sanction(request, pk, "reinstate", user_reinstate, _("%(email)s is reinstated."))


urlpatterns = [
    path("suspensions/", suspensions, name="suspensions"),
    path("users/", user_lookup, name="user_lookup"),
    path("users/<int:pk>/", user_page, name="user"),
    path("users/<int:pk>/suspend/", user_suspend_view, name="user_suspend"),
    path("users/<int:pk>/reinstate/", user_reinstate_view, name="user_reinstate"),
]
