"""The moderators' console, under /moderation/: one module per feature, each with its own
urlpatterns (joined in moderation/urls.py).

Every page is for moderators only (404 for anybody else signed in, the login page for
anonymous users); every state change is a POST with CSRF that calls one service.
"""
