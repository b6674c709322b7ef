"""Building blocks the apps' ``admin.py`` files share. Nothing is registered here.

The admin is a window for staff, not a second way to change state: statuses, money and ledger
rows move only through the services (which lock, check transitions, write history and ledger
entries). So history rows are view-only, and every status or money field is read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.money import format_cents


def money(cents: int | None) -> SafeString | str:
    """Cents as money ($12.50); the exact cents on hover, as the API and ledger count them."""
    if cents is None:
        return "-"
    return format_html('<span title="{} cents">{}</span>', cents, format_cents(int(cents)))


def money_column(field: str, description: Any) -> Callable[[Model], SafeString | str]:
    """A list column or read-only field showing ``field`` (cents) as money, sortable by it.
    Assign it to a ModelAdmin attribute and name it in ``list_display``/``readonly_fields``
    (it is then called as a method: the row is the last argument)."""

    @admin.display(description=description, ordering=field)
    def column(*args: Any) -> SafeString | str:
        return money(getattr(args[-1], field))

    column.__name__ = f"{field}_money"
    return column


class CappedCountPaginator(Paginator):
    """A paginator that never counts a big table.

    ``COUNT(*)`` over millions of assignments is a scan of the whole table on every page view.
    This one counts exactly only up to ``exact_limit`` rows (a scan that stops there) and past
    that uses PostgreSQL's planner estimate for the query: page links are then approximate,
    and a page past the real end is merely empty.
    """

    exact_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        exact = queryset[: self.exact_limit + 1].count()
        if exact <= self.exact_limit:
            return exact
        return max(self._estimate(queryset), exact)

    @staticmethod
    def _estimate(queryset) -> int:
        sql, params = queryset.query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            # The SQL is the ORM's own compiled query; values travel as parameters.
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])


class BigTableAdmin(admin.ModelAdmin):
    """For tables with millions of rows: no full count, no facet counts, the newest first by
    primary key (an index), and no filter whose choices come from another big table."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    ordering = ["-id"]


class ViewOnlyMixin:
    """Staff may look but not add, change or delete: rows written only by services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    pass


class ViewOnlyBigTableAdmin(ViewOnlyMixin, BigTableAdmin):
    pass


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


def user_column(field: str, description: Any) -> Callable[[Model], str]:
    """A column naming the user in ``field`` by email (staff search by it); select the
    relation in ``list_select_related``."""

    @admin.display(description=description, ordering=f"{field}__email")
    def column(*args: Any) -> str:
        user = getattr(args[-1], field)
        return user.email if user is not None else "-"

    column.__name__ = f"{field}_email"
    return column


def choices_filter(field: str, choices: Any, title: Any) -> type[admin.SimpleListFilter]:
    """A filter on a plain CharField (a history row's ``to_status``) with fixed choices:
    Django's default for such a field asks the database for its distinct values, a scan of
    the whole table on every page view."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(choices)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return ChoicesFilter
