"""Worker-facing reputation rows. The success rate is computed (workers/selectors.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Block(models.Model):
    """An employer no longer wants this worker on their campaigns."""

    employer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_workers"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employer", "worker"], name="workers_block_once"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} blocks {self.worker_id}"


class SavedSearch(models.Model):
    """A worker's search of the feed, kept under a name: run again from the feed in one tap,
    and told when a campaign matching it goes live (``workers.searches``). The fields are a
    ``workers.selectors.FeedFilters``."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=60)
    q = models.CharField(max_length=100, blank=True)
    category = models.ForeignKey(
        "tasks.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_reward_cents = models.PositiveIntegerField(null=True, blank=True)
    max_reward_cents = models.PositiveIntegerField(null=True, blank=True)
    hide_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "name"], name="workers_saved_search_name")
        ]

    def __str__(self) -> str:
        return self.name
