from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class UserLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with one more source: the signed-in user's profile.

    Order of preference: the language chosen on this device (cookie), then the profile's
    language, then the browser's Accept-Language. Runs after AuthenticationMiddleware.
    """

    def process_request(self, request):
        super().process_request(request)
        user = getattr(request, "user", None)
        if (
            settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user is not None
            and user.is_authenticated
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
