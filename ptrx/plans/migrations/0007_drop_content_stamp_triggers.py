import importlib

from django.db import migrations, models

# The content stamp gives way to a version kept in the cache (ptrx.content), moved on by
# the loaders and the exercise admin: the triggers 0004 put on the exercise and protocol
# tables go (on SQLite the protocol entry's, as 0006 recreated them, too), then the table.
# Backwards, the table and its row come back with every trigger.
content_stamp = importlib.import_module("ptrx.plans.migrations.0004_content_stamp")


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0006_protocol_options"),
    ]

    operations = [
        migrations.RunPython(content_stamp.drop_triggers, content_stamp.create_triggers, elidable=False),
        migrations.DeleteModel(name="ContentStamp"),
    ]
