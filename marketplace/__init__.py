"""Kaaj's project package: settings, URLs, the Celery app and the embedded dev stack."""

from .celery import app as celery_app

__all__ = ["celery_app"]
