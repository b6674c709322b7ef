"""The ledger is append-only: PostgreSQL refuses UPDATE and DELETE of movements and
transfers, whoever asks. Corrections are new movements in the other direction."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION payments_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'post a reversing movement instead';
END;
$$;
CREATE TRIGGER payments_movement_append_only BEFORE UPDATE OR DELETE ON payments_movement
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();
CREATE TRIGGER payments_transfer_append_only BEFORE UPDATE OR DELETE ON payments_transfer
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER payments_transfer_append_only ON payments_transfer;
DROP TRIGGER payments_movement_append_only ON payments_movement;
DROP FUNCTION payments_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
