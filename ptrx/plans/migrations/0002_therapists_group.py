"""The Therapists group with exactly what a therapist needs in the admin.

Which rows a therapist sees (only their own patients) is decided by the admin's
querysets; these permissions decide what they may do with them. The names are
copied here, not imported, because a migration must keep meaning what it meant
when it was written.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Therapists"  # ptrx.plans.services.patients.THERAPISTS_GROUP

PERMISSIONS = {
    # (app label, model): actions
    ("plans", "patient"): ("view", "add", "change"),
    # Adding a plan means generating or duplicating one; changing includes its status.
    ("plans", "plan"): ("view", "add", "change"),
    ("plans", "prescription"): ("view", "add", "change", "delete"),
    # What patients logged is read, never rewritten.
    ("plans", "completion"): ("view",),
    ("plans", "checkin"): ("view",),
    # The library is read (and searched when prescribing); its editors are superusers.
    ("exercises", "exercise"): ("view",),
}


def grant_therapist_permissions(apps, schema_editor):
    # Permissions are normally created after the last migration (post_migrate);
    # create them now so a fresh database gets a complete group. (Also callable with
    # the live app registry, e.g. after a test flush, hence the restore.)
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
        for (app_label, model), actions in PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("exercises", "0001_initial"),
        ("plans", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant_therapist_permissions, remove_group)]
