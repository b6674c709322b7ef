"""How Kaaj says no: one domain error, raised by every service and rendered in two places.

A service that refuses raises :class:`DomainError` before it changes anything. The error
carries everything both renderings need:

- ``code``: stable, snake_case, for API clients to branch on (``no_task_left``);
- ``message``: for people, translated, shown as the API's ``detail`` and on pages;
- ``status``: the HTTP status the API answers with (400 bad input, 403 not allowed, 404 not
  yours to see, 409 the state does not allow it now);
- ``field``: the form field the message belongs next to (None: the whole request);
- ``errors``: messages per field, when several fields are wrong at once.

The API renders it once (``marketplace.api.exception_handler``: ``{code, detail, errors}``);
forms render it once (:func:`form_error`). A page view that does not catch it still answers
its status with the message (``marketplace.middleware``), never a 500.

Hiding objects is one rule too: what the user may not see is 404 (:func:`not_found`), the
same answer as for an object that does not exist, so ids reveal nothing; what they may see
but not change is 403 (or 409 when only its state is in the way).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A request refused by a service; nothing was changed."""

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        status: int = 400,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code, self.message, self.status = code, str(message), status
        self.field = field
        if errors is None and field is not None:
            errors = {field: [self.message]}
        self.errors = errors

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, status={self.status})"


def not_found() -> DomainError:
    """The answer for an object the user may not see, worded as for one that does not exist."""
    return DomainError("not_found", _("Not found."), status=404)


def form_error(
    form, error: DomainError, *, fields: dict[str, str] | None = None, default: str | None = None
) -> None:
    """Put a refusal on a bound form: each message next to its field when the form has that
    field (``fields`` maps the service's field names to the form's where they differ),
    otherwise next to ``default`` (None: at the top of the form)."""
    fields = fields or {}

    def place(field: str | None) -> str | None:
        field = fields.get(field or "", field)
        return field if field in form.fields else default

    messages = error.errors or {error.field: [error.message]}
    for field, texts in messages.items():
        for text in texts:
            form.add_error(place(field), text)
