"""A final rejection is a status of its own, ``closed``, instead of ``rejected`` plus a flag.

Existing final rejections (``window_closed``) become closed, each with the history row the
move would have written (no actor: the clock or a dispute decided it); then the flag goes.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0003_dispute'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='assignment',
            name='tasks_one_holder_per_task',
        ),
        migrations.RunSQL(
            """
            WITH closed AS (
                UPDATE tasks_assignment SET status = 'closed'
                WHERE status = 'rejected' AND window_closed
                RETURNING id, updated_at
            )
            INSERT INTO tasks_assignmentevent
                (assignment_id, from_status, to_status, actor_id, reason, created_at)
            SELECT id, 'rejected', 'closed', NULL, 'final', updated_at FROM closed
            """,
            """
            UPDATE tasks_assignment SET status = 'rejected', window_closed = true
            WHERE status = 'closed'
            """,
        ),
        migrations.RemoveField(
            model_name='assignment',
            name='window_closed',
        ),
        migrations.AlterField(
            model_name='assignment',
            name='status',
            field=models.CharField(choices=[('claimed', 'Claimed'), ('submitted', 'Submitted'), ('revision_requested', 'Revision requested'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('disputed', 'Disputed'), ('expired', 'Expired'), ('released', 'Released'), ('closed', 'Rejected, final')], default='claimed', max_length=20),
        ),
        migrations.AddConstraint(
            model_name='assignment',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('claimed', 'submitted', 'revision_requested', 'rejected', 'disputed'))), fields=('task',), name='tasks_one_holder_per_task'),
        ),
    ]
