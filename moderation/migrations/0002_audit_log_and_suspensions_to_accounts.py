"""The audit log and suspensions now belong to accounts (accounts/0004 renamed the tables)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0001_initial'),
        ('accounts', '0004_audit_log_and_suspensions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='ModerationAction'),
                migrations.DeleteModel(name='Suspension'),
            ],
        ),
    ]
