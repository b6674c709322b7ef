from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Campaigns and tasks")

    def ready(self) -> None:
        from payments.selectors import book_check, subject_namer

        from .selectors import (
            assignment_subjects,
            campaign_subjects,
            escrow_violations,
            gold_violations,
        )

        book_check(escrow_violations)
        book_check(gold_violations)
        # The wallet names campaigns and tasks by their titles, with links.
        subject_namer("campaign")(campaign_subjects)
        subject_namer("assignment")(assignment_subjects)
