from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", views.language_switch, name="language"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_page, name="token_revoke"),
]
