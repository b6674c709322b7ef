"""The audit log and suspensions move from moderation to accounts, rows and all.

Every app asks whether a user is suspended and records moderators' decisions; the console
(moderation) sits above them, so the rows belong to the bottom layer. The tables are renamed
in place: nothing is copied, and the ids stay.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_api_tokens'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('moderation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE moderation_moderationaction RENAME TO accounts_moderationaction",
                    "ALTER TABLE accounts_moderationaction RENAME TO moderation_moderationaction",
                ),
                migrations.RunSQL(
                    "ALTER TABLE moderation_suspension RENAME TO accounts_suspension",
                    "ALTER TABLE accounts_suspension RENAME TO moderation_suspension",
                ),
                # The content types keep pointing at the same rows' model (audit rows about a
                # suspension stay readable).
                migrations.RunSQL(
                    "UPDATE django_content_type SET app_label = 'accounts' WHERE app_label = "
                    "'moderation' AND model IN ('moderationaction', 'suspension')",
                    "UPDATE django_content_type SET app_label = 'moderation' WHERE app_label = "
                    "'accounts' AND model IN ('moderationaction', 'suspension')",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name='ModerationAction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=64, verbose_name='action')),
                        ('target_id', models.CharField(max_length=64, verbose_name='target id')),
                        ('target_repr', models.CharField(max_length=200, verbose_name='target')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='created at')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='moderation_actions', to=settings.AUTH_USER_MODEL, verbose_name='moderator')),
                        ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='target type')),
                    ],
                    options={
                        'verbose_name': 'moderation action',
                        'verbose_name_plural': 'moderation actions',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['target_type', 'target_id'], name='moderation_action_target'), models.Index(fields=['action', '-created_at'], name='moderation_action_action')],
                    },
                ),
                migrations.CreateModel(
                    name='Suspension',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='suspended at')),
                        ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                        ('lift_reason', models.TextField(blank=True, verbose_name='reason for lifting')),
                        ('by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='suspended by')),
                        ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='suspensions', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'suspension',
                        'verbose_name_plural': 'suspensions',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('user',), name='moderation_one_active_suspension_per_user'), models.CheckConstraint(condition=models.Q(models.Q(('lifted_at__isnull', True), ('lifted_by__isnull', True)), models.Q(('lifted_at__isnull', False), ('lifted_by__isnull', False)), _connector='OR'), name='moderation_suspension_lift_complete')],
                    },
                ),
            ],
        ),
    ]
