"""Every page knows whether this is a demo (pretend money, no withdrawals): base.html shows
the banner."""

from django.conf import settings


def demo_mode(request) -> dict:
    return {"demo_mode": settings.KAAJ_DEMO_MODE}
