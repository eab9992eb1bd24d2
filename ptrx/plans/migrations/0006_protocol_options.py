import importlib

from django.db import migrations, models

# Adding a column makes SQLite rebuild plans_protocolentry, which drops the content-stamp
# triggers 0004 put on it; they are put back here (PostgreSQL keeps them).
content_stamp = importlib.import_module("ptrx.plans.migrations.0004_content_stamp")
TABLE = "plans_protocolentry"


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for event in content_stamp.EVENTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS plans_content_changed_{TABLE}_{event}")
        schema_editor.execute(content_stamp.SQLITE_TRIGGER.format(table=TABLE, event=event))


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0005_advice_and_baseline"),
    ]

    operations = [
        migrations.AddField(
            model_name="protocolentry",
            name="optional",
            field=models.BooleanField(
                default=False,
                help_text="An option the therapist adds by hand when the patient is ready; never generated",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop, elidable=False),
    ]
