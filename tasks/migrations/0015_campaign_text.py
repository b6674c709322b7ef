"""The feed's keyword search (tasks.search): each campaign's words as a tsvector in a table of
its own under a GIN index, written by PostgreSQL from a trigger on every insert and every
change of a campaign's title or instructions, and filled now for the campaigns there are."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# A campaign row's searchable text, for ``{row}`` (NEW in the trigger, c when filling):
# title (weight A) and instructions (B), each read by the english and simple configurations.
VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce({row}.title, '')), 'A')"
    " || setweight(to_tsvector('simple', coalesce({row}.title, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce({row}.instructions, '')), 'B')"
    " || setweight(to_tsvector('simple', coalesce({row}.instructions, '')), 'B')"
)

FORWARD = f"""
CREATE FUNCTION tasks_campaign_text_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tasks_campaigntext (campaign_id, vector)
    VALUES (NEW.id, {VECTOR_SQL.format(row="NEW")})
    ON CONFLICT (campaign_id) DO UPDATE SET vector = EXCLUDED.vector;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tasks_campaign_text AFTER INSERT OR UPDATE OF title, instructions
    ON tasks_campaign FOR EACH ROW EXECUTE FUNCTION tasks_campaign_text_write();
INSERT INTO tasks_campaigntext (campaign_id, vector)
    SELECT c.id, {VECTOR_SQL.format(row="c")} FROM tasks_campaign c;
"""

BACKWARD = """
DROP TRIGGER tasks_campaign_text ON tasks_campaign;
DROP FUNCTION tasks_campaign_text_write();
"""


class Migration(migrations.Migration):
    dependencies = [("tasks", "0014_worker_groups")]

    operations = [
        migrations.CreateModel(
            name="CampaignText",
            fields=[
                (
                    "campaign",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="text",
                        serialize=False,
                        to="tasks.campaign",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["vector"], name="tasks_campaign_text_idx"
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
