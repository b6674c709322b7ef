from zoneinfo import ZoneInfo

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation


class UserLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the signed-in user's profile first.

    A signed-in user sees their profile's language on every device: the switch and the profile
    page save it there, and sign-up saves the language the visitor was reading. The language
    cookie follows the profile (set on the way out when it differs), so the device stays in
    that language after logging out. Visitors: the cookie (the switch), then the browser's
    Accept-Language. Runs after AuthenticationMiddleware.
    """

    def process_request(self, request):
        super().process_request(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
        if (
            language
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
        ):
            remember_language(response, language)
        return response


def remember_language(response, language: str):
    """Keep ``language`` in the language cookie, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class UserTimeZoneMiddleware:
    """Times on pages and in e-mails rendered for this request are in the signed-in user's
    time zone; visitors see TIME_ZONE. (The API's times are ISO 8601 with their offset, so any
    zone is correct there.) Runs after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "zone", "") if getattr(user, "is_authenticated", False) else ""
        if zone:
            timezone.activate(ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
