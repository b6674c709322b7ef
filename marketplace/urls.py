from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from payments.api import me as me_api

from . import views

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("me/", me_api.MeView.as_view(), name="me"),
    path("tokens/", accounts_api.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/", accounts_api.TokenDetailView.as_view(), name="token-detail"),
    path("", include("payments.api.urls")),
    path("", include("tasks.api.urls")),
    path("", include("workers.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("webhooks.api_urls")),
    path("", include("moderation.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    # The installable web app. The service worker is served from the root, not /static/,
    # because its scope can be no wider than its own path.
    path("manifest.webmanifest", views.web_manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/<str:language>/", views.offline, name="offline"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("money/", include("payments.urls")),
    path("notifications/", include("notifications.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("moderation/", include("moderation.urls")),
    path("", include("tasks.urls")),
    path("", include("workers.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "api/docs/",
        # Split: the page loads its start-up script from ?script= instead of inlining it, as
        # the Content-Security-Policy (script-src 'self') requires; Swagger UI's stylesheet
        # draws its icons as data: images, so this page alone allows those.
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[])
        ),
        name="api-docs",
    ),
]

handler400 = "marketplace.views.bad_request"
handler403 = "marketplace.views.permission_denied"
handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
