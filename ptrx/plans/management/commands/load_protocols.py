"""`manage.py load_protocols [--reset]`: load fixtures/protocols.json."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ptrx.plans.services.protocols import protocols_load_fixture


class Command(BaseCommand):
    help = "Load the branch protocols. Existing protocols keep the clinic's edits unless --reset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="rewrite every protocol from the fixture")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written, kept = protocols_load_fixture(reset=options["reset"])
        except ValidationError as exc:
            raise CommandError("protocols not loaded: " + "; ".join(exc.messages)) from exc
        self.stdout.write(f"protocols: {written} written, {kept} kept")
