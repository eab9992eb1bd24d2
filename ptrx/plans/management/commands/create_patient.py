"""`manage.py create_patient USERNAME --password P --therapist T --branch B --side S ...`."""

import datetime as dt
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ptrx.exercises.models import Branch
from ptrx.plans.domain.precautions import PRECAUTION_CODES
from ptrx.plans.management.commands.create_therapist import validation_message
from ptrx.plans.models import Irritability, Side
from ptrx.plans.selectors import patient_local_today
from ptrx.plans.services.patients import patient_create
from ptrx.plans.services.plans import plan_activate, plan_generate


def _time(value: str) -> dt.time:
    try:
        if len(value) != 5:
            raise ValueError(value)
        return dt.time.fromisoformat(value)
    except ValueError:
        raise CommandError(f'--reminder-time "{value}" is not a time as HH:MM (for example 18:30).') from None


def _date(value: str, option: str = "--start") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f'{option} "{value}" is not a date as YYYY-MM-DD.') from None


class Command(BaseCommand):
    help = "Create a patient and, unless --no-plan, generate and activate their plan. Prints one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--therapist", required=True, help="the therapist's username")
        parser.add_argument(
            "--branch", action="append", required=True, choices=Branch.values, dest="branches"
        )
        parser.add_argument("--side", required=True, choices=Side.values)
        parser.add_argument("--irritability", default=Irritability.MODERATE, choices=Irritability.values)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--reminder-time", default="09:00")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--start", default=None, help="plan start date, YYYY-MM-DD (default: today)")
        parser.add_argument("--no-plan", action="store_true")
        parser.add_argument(
            "--precaution",
            action="append",
            default=[],
            choices=PRECAUTION_CODES,
            dest="precautions",
            help="a precaution from the intake screen (repeatable)",
        )
        parser.add_argument(
            "--cleared-on",
            default=None,
            help="date the therapist recorded clearance after a recent procedure",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reminder_time = _time(options["reminder_time"])
        start = _date(options["start"]) if options["start"] else None
        cleared_on = _date(options["cleared_on"], "--cleared-on") if options["cleared_on"] else None
        therapist = get_user_model().objects.filter(username=options["therapist"], is_staff=True).first()
        if therapist is None:
            raise CommandError(f'No therapist named "{options["therapist"]}".')
        try:
            with transaction.atomic():
                patient = patient_create(
                    username=options["username"],
                    password=options["password"],
                    therapist=therapist,
                    branches=options["branches"],
                    side=options["side"],
                    irritability=options["irritability"],
                    timezone_name=options["timezone"],
                    reminder_time=reminder_time,
                    email=options["email"],
                    first_name=options["first_name"],
                    precautions=list(dict.fromkeys(options["precautions"])),
                    precautions_cleared_on=cleared_on,
                )
                plan = None
                if not options["no_plan"]:
                    plan = plan_generate(
                        patient=patient,
                        start=start or patient_local_today(patient=patient),
                        created_by=therapist,
                    )
                    plan = plan_activate(plan=plan)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(json.dumps({"patient": patient.pk, "plan": plan.pk if plan else None}))
