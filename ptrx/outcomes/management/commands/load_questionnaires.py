"""`manage.py load_questionnaires [--file PATH] [--reset]`: load questionnaire definitions."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ptrx.outcomes.services import questionnaires_load


class Command(BaseCommand):
    help = (
        "Load the questionnaires of fixtures/questionnaires.json, or of --file (a clinic's own, "
        "such as its licensed Oswestry index). Existing ones keep their edits unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="a JSON list of definitions (default: the fixture)")
        parser.add_argument("--reset", action="store_true", help="rewrite definitions already loaded")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written, kept = questionnaires_load(path=options["file"], reset=options["reset"])
        except ValidationError as exc:
            raise CommandError("questionnaires not loaded: " + "; ".join(exc.messages)) from exc
        self.stdout.write(f"questionnaires: {written} written, {kept} kept")
