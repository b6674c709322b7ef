"""The Celery app. Jobs live in each app's ``jobs.py`` (``tasks`` is a domain word here)."""

import os

from celery import Celery

from marketplace.checkout import DEFAULT_SETTINGS_MODULE

# Development settings in a checkout, production ones when installed (marketplace.checkout).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)

app = Celery("kaaj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
