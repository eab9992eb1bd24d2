"""`manage.py load_library [--reset]`: load fixtures/exercise_library.json."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ptrx.exercises.services import library_load


class Command(BaseCommand):
    help = "Load the exercise library. Existing exercises keep therapists' edits unless --reset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="restore every exercise from the fixture")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = library_load(reset=options["reset"])
        except ValidationError as exc:
            raise CommandError("exercise library not loaded: " + "; ".join(exc.messages)) from exc
        counts = f"{result.created} created, {result.updated} reset, {result.unchanged} unchanged"
        self.stdout.write(f"exercise library: {counts}")
