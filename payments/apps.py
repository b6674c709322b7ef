from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments.checks import payments_configuration_check

        checks.register(payments_configuration_check, checks.Tags.security, deploy=True)
