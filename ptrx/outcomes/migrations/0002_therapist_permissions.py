"""What a therapist may do with outcome measures: read the definitions, read the
patients' responses and record one on a patient's behalf (never rewrite one).

Names copied, not imported, as in plans 0002: a migration keeps meaning what it meant."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Therapists"  # ptrx.plans.services.patients.THERAPISTS_GROUP
PERMISSIONS = {
    ("outcomes", "questionnaire"): ("view",),
    ("outcomes", "questionnaireresponse"): ("view", "add"),
}


def grant_outcome_permissions(apps, schema_editor):
    # As plans 0002: the permissions are created now, not after the last migration.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *(
            Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            for (app_label, model), actions in PERMISSIONS.items()
            for action in actions
        )
    )


def revoke_outcome_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="outcomes"))


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_initial"),
        ("plans", "0002_therapists_group"),
    ]

    operations = [migrations.RunPython(grant_outcome_permissions, revoke_outcome_permissions)]
