import json
from pathlib import Path

import ptrx.exercises.validators
from django.db import migrations, models

LIBRARY = Path(__file__).resolve().parents[3] / "fixtures" / "exercise_library.json"


def tag_loaded_exercises(apps, schema_editor):
    # A library loaded before this migration keeps its edits (load_library does not
    # overwrite), so the shipped precaution tags are put on it here, once.
    if not LIBRARY.exists():
        return
    tags = {entry["slug"]: entry.get("precautions", []) for entry in json.loads(LIBRARY.read_text("utf-8"))}
    Exercise = apps.get_model("exercises", "Exercise")
    for exercise in Exercise.objects.filter(slug__in=[slug for slug, codes in tags.items() if codes]):
        exercise.precautions = tags[exercise.slug]
        exercise.save(update_fields=["precautions"])


class Migration(migrations.Migration):

    dependencies = [
        ('exercises', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='exercise',
            name='precautions',
            field=models.JSONField(blank=True, default=list, help_text='Precautions that rule this exercise out (the generator swaps it for an allowed one)', validators=[ptrx.exercises.validators.validate_precautions]),
        ),
        migrations.RunPython(tag_loaded_exercises, migrations.RunPython.noop),
    ]
