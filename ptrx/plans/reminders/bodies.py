"""The reminder bodies: rendered by the templates once per shape, the name put in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from ptrx.links import app_url
from ptrx.plans.models import NotificationKind
from ptrx.plans.reminders.candidates import Candidate
from ptrx.plans.reminders.left_today import LeftToday

# Words for what is due. Exercise names stay in the app: some name anatomy, and a
# reminder shows on a lock screen, so it says how much is due and of what kind.
CATEGORY_WORDS = {
    "breathing": "breathing",
    "rotational_stretch": "stretching",
    "neurodynamic_glide": "gliding movements",
    "core_strength": "core strength",
    "gluteal_strength": "hip strength",
    "mobility": "mobility",
    "education": "a self-care habit",
}


def join_words(words: Sequence[str]) -> str:
    """Words joined as in a sentence: a; a and b; a, b and c."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


class ReminderRow(NamedTuple):
    """One reminder to insert; its bodies are shape `shape` of the sweep's ReminderBodies with
    the first name in place of the placeholder."""

    patient_id: int
    plan_id: int
    kind: str
    local_date: dt.date
    channel: str
    send_before: dt.datetime
    subject: str
    shape: int
    name: str
    html_name: str


class ReminderBodies:
    """The reminder bodies, rendered by the templates once per distinct content.

    A "shape" is one combination of the values many patients share (date, counts,
    kinds of exercise), rendered with a placeholder for the first name, which is put in
    as the template would (`default:"there"`, HTML-escaped in the HTML body). A name
    holding the placeholder gets a shape of its own, rendered in full.
    """

    PLACEHOLDER = "\ue000ptrx:first_name\ue000"

    def __init__(self) -> None:
        self.shapes: list[tuple[str, str]] = []
        self._index: dict[tuple[Any, ...], int] = {}
        self._language = translation.get_language()  # one sweep, one language
        self._html_names: dict[str, str] = {}

    def shape(self, context: dict[str, Any]) -> tuple[int, str, str]:
        """(shape, name, HTML name) for a reminder with this template context."""
        first_name = context["first_name"]
        if self.PLACEHOLDER not in first_name:
            key = (
                context["missed"],
                context["date"],
                context["exercises"],
                context["sessions"],
                context["kinds"],
                context["questionnaire"],
                context["app_url"],
                self._language,
            )
            index = self._index.get(key)
            if index is None:
                body, html_body = _render_reminder({**context, "first_name": self.PLACEHOLDER})
                if body.count(self.PLACEHOLDER) == 1 and html_body.count(self.PLACEHOLDER) == 1:
                    index = self._index[key] = self._add(body, html_body)
                else:
                    index = self._index[key] = -1
            if index >= 0:
                name = first_name or "there"
                html_name = self._html_names.get(name)
                if html_name is None:
                    html_name = self._html_names[name] = escape(name)
                return index, name, html_name
        return self._add(*_render_reminder(context)), self.PLACEHOLDER, self.PLACEHOLDER

    def _add(self, body: str, html_body: str) -> int:
        self.shapes.append((body, html_body))
        return len(self.shapes) - 1

    def bodies(self, row: ReminderRow) -> tuple[str, str]:
        body, html_body = self.shapes[row.shape]
        return body.replace(self.PLACEHOLDER, row.name), html_body.replace(self.PLACEHOLDER, row.html_name)


def _render_reminder(context: dict[str, Any]) -> tuple[str, str]:
    return (
        render_to_string("emails/reminder.txt", context).strip() + "\n",
        render_to_string("emails/reminder.html", context),
    )


@lru_cache(maxsize=1024)
def _kinds_in_words(categories: tuple[str, ...]) -> str:
    """The kinds of exercise of these categories in words, each once, in their order."""
    words: list[str] = []
    for category in categories:
        word = CATEGORY_WORDS.get(category, "exercise")
        if word not in words:
            words.append(word)
    return join_words(words)


def reminder_row(
    candidate: Candidate, kind: str, left: LeftToday, bodies: ReminderBodies, *, questionnaire: bool = False
) -> ReminderRow:
    """`questionnaire`: an outcome questionnaire falls due today (the body says so, in plain words)."""
    context = {
        "first_name": candidate.first_name,
        "missed": kind == NotificationKind.MISSED,
        "date": candidate.local_date,
        "exercises": left.exercises,
        "sessions": left.sessions,
        "kinds": _kinds_in_words(left.categories),
        "questionnaire": questionnaire,
        "app_url": app_url(),
    }
    subject = (
        "A nudge for today's exercises" if kind == NotificationKind.MISSED else "Your exercises for today"
    )
    shape, name, html_name = bodies.shape(context)
    return ReminderRow(
        patient_id=candidate.patient_id,
        plan_id=candidate.plan_id,
        kind=kind,
        local_date=candidate.local_date,
        channel=candidate.channel,
        send_before=candidate.send_before,
        subject=subject,
        shape=shape,
        name=name,
        html_name=html_name,
    )
