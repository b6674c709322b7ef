from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from .http import parse_networks

        # A proxy list Kaaj cannot read would make every request fail: refuse to start.
        try:
            parse_networks(settings.TRUSTED_PROXIES)
        except ValueError as error:
            raise ImproperlyConfigured(str(error)) from error
