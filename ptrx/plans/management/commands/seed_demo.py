"""`manage.py seed_demo`: demo accounts for the embedded set-up (idempotent)."""

import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ptrx.plans.models import Patient, Plan, PlanStatus
from ptrx.plans.selectors import patient_local_today
from ptrx.plans.services.patients import patient_create, therapist_create
from ptrx.plans.services.plans import plan_activate, plan_generate


class Command(BaseCommand):
    help = "Create a demo superuser, therapist and patient (inferior branch, left side) with an active plan."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # The demo password is published in the README: never on a real site.
            raise CommandError(
                "DEBUG is off: seed_demo creates accounts with a published password and only runs "
                "in development (DEBUG=1)."
            )
        password = os.environ.get("DEMO_PASSWORD", "ptrx-demo-2026")
        User = get_user_model()
        with transaction.atomic():
            if not User.objects.filter(username="admin").exists():
                User.objects.create_superuser("admin", "admin@localhost", password)
            therapist = User.objects.filter(username="therapist").first() or therapist_create(
                username="therapist", password=password, email="therapist@localhost", first_name="Demo"
            )
            patient = Patient.objects.filter(user__username="patient").first()
            if patient is None:
                # A reminder time a minute from now, so the demo's first reminder
                # reaches var/outbox/ soon after `make run` starts.
                soon = (
                    (timezone.localtime(timezone.now()) + dt.timedelta(minutes=1))
                    .time()
                    .replace(second=0, microsecond=0)
                )
                patient = patient_create(
                    username="patient",
                    password=password,
                    therapist=therapist,
                    branches=["inferior"],
                    side="left",
                    timezone_name=timezone.get_current_timezone_name(),
                    reminder_time=soon,
                    email="patient@localhost",
                    first_name="Alex",
                )
            if not Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).exists():
                plan_activate(
                    plan=plan_generate(
                        patient=patient, start=patient_local_today(patient=patient), created_by=therapist
                    )
                )
        for role, username in (
            ("admin (superuser)", "admin"),
            ("therapist", "therapist"),
            ("patient", "patient"),
        ):
            self.stdout.write(f"demo {role}: username {username}  password {password}")
