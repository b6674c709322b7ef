"""A quicker ``get_<field>_display`` for fields whose choices are a TextChoices.

Django's own builds a dict of every choice on each call, hashing each lazy label, and so
translating every label, to show one: about 0.1 ms a call, paid for every row of a list
(the worker's history, the review queue). The enum has the label at hand.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models


def display(field: str, choices: type[models.TextChoices]) -> Callable[[models.Model], str]:
    """A ``get_<field>_display`` method for ``field``, whose choices are ``choices``: the
    value's label in the current language, or the value itself when it is not a choice (as
    Django's does)."""

    def get_display(self: models.Model) -> str:
        value = getattr(self, field)
        try:
            return str(choices(value).label)
        except ValueError:
            return value

    get_display.__name__ = f"get_{field}_display"
    return get_display
