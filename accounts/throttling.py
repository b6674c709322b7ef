"""DRF's throttles, keyed on the one client-IP rule (``accounts.http.client_ip``).

DRF's own ``get_ident`` believes ``X-Forwarded-For`` unless ``NUM_PROXIES`` is set, so a
client that writes a new header on each request is a new client each time. These classes
are DRF's, with only the identity replaced; settings name them in ``REST_FRAMEWORK``.
"""

from rest_framework import throttling

from .http import client_ip


class ClientIpMixin:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class AnonRateThrottle(ClientIpMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIpMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIpMixin, throttling.ScopedRateThrottle):
    pass
