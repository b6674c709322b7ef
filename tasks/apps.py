from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Campaigns and tasks")

    def ready(self) -> None:
        from payments.selectors import book_check

        from .selectors import escrow_violations

        book_check(escrow_violations)
