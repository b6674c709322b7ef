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
