"""Employers' statistics pages: one campaign's (its owner's only, 404 for anybody else) and the
dashboard across all their campaigns. The numbers come from ``tasks.statistics``; the charts
are SVG drawn here on the server (``core.charts``), with their figures beside them in words."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from accounts.timezones import time_zone_label
from core.charts import Bar, Part, Series, legend, share_bar, stacked_bars
from core.money import format_cents
from tasks.models import Campaign
from tasks.statistics import (
    DEFAULT_SPAN,
    SPANS,
    Day,
    Figures,
    campaign_statistics,
    employer_dashboard,
)

DASHBOARD_PAGE_SIZE = 20


def span_of(request: HttpRequest) -> int:
    """The days the chart covers: ``?days=`` if it is one of SPANS, else DEFAULT_SPAN."""
    asked = request.GET.get("days", "")
    return int(asked) if asked.isdigit() and int(asked) in SPANS else DEFAULT_SPAN


def _work_series() -> tuple[Series, Series, Series]:
    return (
        Series(_("Approved"), "approved"),
        Series(_("Rejected"), "rejected"),
        Series(_("Not decided yet"), "undecided"),
    )


def days_chart(days: list[Day]) -> dict[str, SafeString]:
    """The work sent each day as stacked bars, and its legend with the span's totals."""
    series = _work_series()
    bars = [
        Bar(
            (day.approved, day.rejected, day.undecided),
            formats.date_format(day.date, "j M"),
            _("%(date)s: %(n)s sent, %(approved)s approved, %(rejected)s rejected")
            % {
                "date": formats.date_format(day.date, "j M"),
                "n": day.submitted,
                "approved": day.approved,
                "rejected": day.rejected,
            },
        )
        for day in days
    ]
    sent = sum(day.submitted for day in days)
    description = ngettext(
        "%(n)s submission in the last %(days)s days, by the day it was sent.",
        "%(n)s submissions in the last %(days)s days, by the day they were sent.",
        sent,
    ) % {"n": sent, "days": len(days)}
    totals = (
        sum(day.approved for day in days),
        sum(day.rejected for day in days),
        sum(day.undecided for day in days),
    )
    return {
        "svg": stacked_bars(
            title=_("Submissions per day"), description=description, series=series, bars=bars
        ),
        "legend": legend([(s, str(n)) for s, n in zip(series, totals, strict=True)]),
        "description": description,
    }


def money_chart(figures: Figures) -> dict[str, SafeString]:
    """Where the escrowed money went: spent on approved work, still in escrow, returned."""
    parts = [
        Part(Series(_("Spent"), "spent"), figures.spent_cents),
        Part(Series(_("In escrow"), "escrow"), figures.escrow_cents),
        Part(Series(_("Returned to your wallet"), "refunded"), figures.refunded_cents),
    ]
    description = _(
        "%(spent)s spent on approved work, %(escrow)s still in escrow, %(refunded)s returned."
    ) % {
        "spent": format_cents(figures.spent_cents),
        "escrow": format_cents(figures.escrow_cents),
        "refunded": format_cents(figures.refunded_cents),
    }
    return {
        "svg": share_bar(title=_("Spent and in escrow"), description=description, parts=parts),
        "legend": legend([(part.series, format_cents(part.value)) for part in parts]),
    }


def _spans(days: int) -> list[tuple[int, bool]]:
    """The spans the page links to, the one shown marked."""
    return [(span, span == days) for span in SPANS]


@login_required
@require_GET
def campaign_statistics_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk, employer=request.user)  # 404: not theirs
    days = span_of(request)
    stats = campaign_statistics(campaign, zone=request.user.zone, days=days)
    return render(
        request,
        "tasks/campaign_statistics.html",
        {
            "campaign": campaign,
            "stats": stats,
            "figures": stats.figures,
            "days_chart": days_chart(stats.days),
            "money_chart": money_chart(stats.figures),
            "spans": _spans(days),
            "zone_label": time_zone_label(stats.zone),
        },
    )


@login_required
@require_GET
def employer_statistics(request: HttpRequest) -> HttpResponse:
    """Every campaign's figures (a page of rows), their totals and the work sent per day."""
    days = span_of(request)
    dashboard = employer_dashboard(request.user, zone=request.user.zone, days=days)
    page = Paginator(dashboard.rows, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tasks/employer_statistics.html",
        {
            "dashboard": dashboard,
            "figures": dashboard.totals,
            "page": page,
            "days_chart": days_chart(dashboard.days),
            "money_chart": money_chart(dashboard.totals),
            "spans": _spans(days),
            "zone_label": time_zone_label(dashboard.zone),
        },
    )


urlpatterns = [
    path("statistics/", employer_statistics, name="employer_statistics"),
    path(
        "campaigns/<int:pk>/statistics/",
        campaign_statistics_view,
        name="campaign_statistics",
    ),
]
