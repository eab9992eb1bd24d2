"""`manage.py create_therapist USERNAME --password P [--email E]`."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ptrx.plans.services.patients import therapist_create


def validation_message(exc: ValidationError) -> str:
    """One line naming each field and its problems."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create a therapist: a staff user in the Therapists group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = therapist_create(
                username=options["username"], password=options["password"], email=options["email"]
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(f'{{"therapist": {user.pk}}}')
