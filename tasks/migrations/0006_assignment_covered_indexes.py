"""Drop the single-column indexes of Assignment.campaign and Assignment.worker: the composite
indexes queue_idx (campaign, status) and worker_idx (worker, campaign) lead with the same
columns and serve the same lookups. The foreign keys themselves stay as they are (Django's
own AlterField would drop and re-add them, checking every row again)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "tasks_assignment_campaign_id_bf983cbd": "campaign_id",
    "tasks_assignment_worker_id_46e49ca8": "worker_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_kept_screenshots"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "tasks_assignment" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="assignment",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to="tasks.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="worker",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        )
    ]
