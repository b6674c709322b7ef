"""``{{ seconds|duration }}``: a length of time in words (core.durations), "—" for none."""

from __future__ import annotations

from django import template

from core.durations import duration_words

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """``{{ figures.median_to_review|duration }}`` → "5 hours"; "—" before any."""
    return duration_words(seconds) or "—"
