"""Qualification tests' pages: a worker's list of tests (those that open work first) and the
test itself, answered and graded on one page; an employer's (or a moderator's, for Kaaj's)
tests, written and changed. And the levels: what each needs, and where the reader stands."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, form_error, not_found
from tasks.models import Qualification
from tasks.selectors import qualification_of, qualifications_for
from tasks.services.qualifications import (
    may_edit,
    qualification_attempt,
    qualification_create,
    qualification_update,
    retake_wait,
)

from .eligibility import standing_read
from .forms import AttemptForm, QualificationForm
from .levels import level_for, level_name, record_of
from .selectors import tests_opening_work

# --- the worker's side --------------------------------------------------------------------------


@login_required
@require_GET
def tests_page(request: HttpRequest) -> HttpResponse:
    """The open tests: first those live campaigns need (with how many), then the rest; each
    passed, waiting for a retake, or to take. An employer's own tests are on "My tests"."""
    opening = tests_opening_work(standing_read(request.user))
    tests = [
        test
        for test in qualifications_for(request.user)
        if test.is_active and test.owner_id != request.user.pk
    ]
    for test in tests:
        test.opens = opening.get(test.pk, 0)
        test.retry_after = retake_wait(test)
    tests.sort(key=lambda test: (not test.opens or test.held, -test.opens, test.name))
    return render(request, "workers/tests.html", {"tests": tests})


@login_required
@require_http_methods(["GET", "POST"])
def test_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One test: what it checks, its pass mark, and its questions to answer (unless passed,
    closed, one's own or waiting for a retake). Graded at once; the result is a message."""
    test = qualification_of(request.user, pk)
    retry_after = retake_wait(test)
    can_take = test.is_active and not test.held and test.owner_id != request.user.pk
    form = None
    if can_take and retry_after is None:
        form = AttemptForm(request.POST or None, questions=test.questions)
        if request.method == "POST" and form.is_valid():
            try:
                result = qualification_attempt(
                    qualification=test, worker=request.user, answers=form.answers()
                )
            except DomainError as error:
                form_error(form, error)
            else:
                _tell(request, test, result.attempt)
                return redirect("workers:test", pk=test.pk)
    return render(
        request,
        "workers/test.html",
        {
            "test": test,
            "form": form,
            "retry_after": retry_after,
            "can_edit": may_edit(test, request.user),
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _tell(request: HttpRequest, test: Qualification, attempt) -> None:
    values = {"score": attempt.score, "mark": test.pass_mark}
    if attempt.passed:
        messages.success(
            request,
            _("You passed with %(score)s%%: campaigns that need this test are open to you.")
            % values,
        )
    else:
        messages.warning(
            request,
            _(
                "%(score)s%% right: %(mark)s%% is needed to pass. Read the questions again "
                "before you retry."
            )
            % values,
        )


# --- the author's side --------------------------------------------------------------------------


@login_required
@require_GET
def my_tests(request: HttpRequest) -> HttpResponse:
    """The tests this user wrote (and Kaaj's, for a moderator), open and retired."""
    tests = [test for test in qualifications_for(request.user) if may_edit(test, request.user)]
    return render(request, "workers/my_tests.html", {"tests": tests})


@login_required
@require_http_methods(["GET", "POST"])
def test_new(request: HttpRequest) -> HttpResponse:
    platform = request.user.is_moderator and request.GET.get("platform") == "1"
    return _test_form(request, None, platform=platform)


@login_required
@require_http_methods(["GET", "POST"])
def test_edit(request: HttpRequest, pk: int) -> HttpResponse:
    test = qualification_of(request.user, pk)
    if not may_edit(test, request.user):
        raise not_found()
    return _test_form(request, test)


def _test_form(
    request: HttpRequest, test: Qualification | None, *, platform: bool = False
) -> HttpResponse:
    if request.method == "POST":
        form = QualificationForm(request.POST)
        if form.is_valid():
            try:
                if test is None:
                    test = qualification_create(
                        by=request.user, spec=form.spec(), platform=platform
                    )
                else:
                    qualification_update(qualification=test, by=request.user, spec=form.spec())
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Test saved."))
                return redirect("workers:my_tests")
    else:
        form = QualificationForm(initial=QualificationForm.initial_for(test) if test else None)
    return render(
        request,
        "workers/test_form.html",
        {"form": form, "test": test, "platform": platform or (test and test.is_platform)},
        status=400 if form.is_bound else 200,
    )


# --- levels ---------------------------------------------------------------------------------


@require_GET
def levels_page(request: HttpRequest) -> HttpResponse:
    """The levels and what each needs (public); a signed-in reader's own record beside them."""
    record = record_of(request.user) if request.user.is_authenticated else None
    level = level_for(record) if record else None
    steps = [
        {
            **step,
            "name": level_name(step["level"]),
            "met": level is not None and level >= step["level"],
        }
        for step in settings.WORKER_LEVELS
    ]
    return render(
        request,
        "workers/levels.html",
        {
            "steps": steps,
            "record": record,
            "level": level,
            "level_name": "" if level is None else level_name(level),
            "window_days": settings.SUCCESS_RATE_WINDOW_DAYS,
        },
    )
