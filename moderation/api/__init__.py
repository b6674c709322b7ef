"""The moderators' API, under /api/v1/moderation/ (moderators only: 401 anonymous, 403
anybody else): one module per feature, each with its own urlpatterns (joined in
moderation/api/urls.py). The URL names are in the ``api:`` namespace, ``moderation-*``."""
