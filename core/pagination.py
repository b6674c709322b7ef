"""Pages without a COUNT. The feed's count would have to evaluate every eligibility rule for
every active campaign (tens of milliseconds at 10,000 campaigns) only to print a total;
fetching one row more than the page tells whether a next page exists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CountFreePage:
    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


# Deeper pages are not pages anybody reads; the bound keeps OFFSET a sane bigint.
MAX_PAGE = 100_000


def page_number(text: str | None) -> int:
    """``?page=`` as a page number: 1 to MAX_PAGE in ASCII digits. Anything else ("0", "-1",
    "²", Bengali digits, 21 digits) is page 1, as it always was for words."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_PAGE)):
        return 1
    return int(text) if 1 <= int(text) <= MAX_PAGE else 1


def is_id(text: str) -> bool:
    """Whether a query parameter is a row id: ASCII digits that fit PostgreSQL's bigint
    (``str.isdigit`` alone lets "²" through, which ``int`` then refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def count_free_page(queryset, number: int, size: int) -> CountFreePage:
    """Page ``number`` (from 1) of ``queryset``: ``size`` rows, one query."""
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return CountFreePage(object_list=rows[:size], number=number, has_next=len(rows) > size)
