"""The worker's lists, drawn in Python rather than by included or looped template code: the
feed shows twenty cards and my work twenty rows, and the template engine's includes, plural
translations and per-row lookups were half of those pages' time (bench/pages.py). The words
are the catalogue's; every value is escaped as the templates escaped it.

``{% campaign_facts campaign %}``: what a worker learns of a campaign at a glance — reward,
category, tasks open, time to do one — and of its employer — name, approval rate, rejections
overturned, time to review, workers' average rating (linked to the ratings) — for the feed's
cards and the campaign page.

``{% history_rows assignments %}``: my work's "Done before" rows.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.timezones import format_time
from core.money import format_cents
from tasks.models import Assignment, AssignmentStatus, Campaign

register = template.Library()


@register.simple_tag
def campaign_facts(campaign: Campaign) -> str:
    """Two lists: the task's facts, then the employer's record (``employer_stats`` and
    ``rating_time`` set by the view, ``open_tasks`` by the feed's query when it has it)."""
    task = [("reward", format_cents(campaign.reward_cents)), ("", campaign.category.display_name)]
    open_tasks = getattr(campaign, "open_tasks", None)
    if open_tasks is not None:
        task.append(
            ("", ngettext("%(n)s task open", "%(n)s tasks open", open_tasks) % {"n": open_tasks})
        )
    minutes = campaign.time_to_complete_minutes
    task.append(
        ("", ngettext("%(n)s minute to do it", "%(n)s minutes to do it", minutes) % {"n": minutes})
    )

    stats = campaign.employer_stats
    rate = stats.approval_rate
    record = [
        ("", f"{_('Employer')}: {campaign.employer.public_name}"),
        ("", _("No reviews yet") if rate is None else _("approves %(rate)s%%") % {"rate": rate}),
        ("rating", _rating(campaign.employer_id, stats)),
    ]
    if stats.overturned:
        record.append(
            (
                "overturned",
                ngettext(
                    "%(n)s rejection overturned", "%(n)s rejections overturned", stats.overturned
                )
                % {"n": stats.overturned},
            )
        )
    if campaign.rating_time:
        record.append(("", _("reviews in %(time)s on average") % {"time": campaign.rating_time}))
    # escape() and one mark_safe: format_html per item cost as much as the rest together.
    return mark_safe(  # noqa: S308  (every value escaped in _items)
        f'<ul class="facts">{_items(task)}</ul>\n<ul class="facts muted">{_items(record)}</ul>'
    )


def _rating(employer_id: int, stats) -> str:
    """The employer's average rating and the number of ratings, linked to their ratings."""
    if stats.rating_count:
        text = ngettext(
            "rated %(average)s of 5 by %(n)s worker",
            "rated %(average)s of 5 by %(n)s workers",
            stats.rating_count,
        ) % {"average": number_format(stats.rating_average, 1), "n": stats.rating_count}
    else:
        text = _("not rated yet")
    url = reverse("workers:employer_ratings", args=[employer_id])
    return f'<a href="{url}">{escape(text)}</a>'


def _items(facts: list[tuple[str, str]]) -> str:
    return "\n".join(_item(css, text) for css, text in facts)


def _item(css: str, text: str) -> str:
    """A fact as a ``<li>``, its text escaped; a ``rating`` fact is HTML already
    (:func:`_rating` escapes its words)."""
    if css == "rating":
        return f'<li class="rating">{text}</li>'
    return f'<li class="{css}">{escape(text)}</li>' if css else f"<li>{escape(text)}</li>"


@register.simple_tag
def history_rows(assignments: list[Assignment]) -> str:
    """One ``<li>`` a finished assignment: its campaign (linked to the assignment's page), its
    status and when it got there, the reason of a rejection, and the reward (marked ``in``
    when it was paid)."""
    reason_label = _("Reason")
    rows = []
    for a in assignments:
        reason = ""
        if a.status == AssignmentStatus.REJECTED and a.review_reason:
            reason = f"\n      <small>{escape(reason_label)}: {escape(a.review_reason)}</small>"
        paid = " in" if a.status == AssignmentStatus.APPROVED else ""
        url = reverse("workers:assignment", args=[a.pk])
        when = format_time(a.updated_at, "j M Y, H:i")
        reward = format_cents(a.campaign.reward_cents)
        rows.append(
            "<li>\n"
            f'    <span class="history-what"><a href="{url}">{escape(a.campaign.title)}</a>\n'
            f'      <small class="muted"><span class="status">{escape(a.get_status_display())}'
            f"</span> {escape(when)}</small>{reason}\n"
            "    </span>\n"
            f'    <span class="history-amount{paid}">{escape(reward)}</span>\n  </li>'
        )
    return mark_safe("\n  ".join(rows))  # noqa: S308  (every value escaped above)
