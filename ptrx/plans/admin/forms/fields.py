"""Fields, widgets and error handling shared by the admin's forms."""

import functools
import zoneinfo
from typing import Any

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ptrx.plans.domain.red_flags import RED_FLAGS


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named field when the form has
    it and it has no error yet (one message per problem), otherwise above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, messages)
        elif field not in form.fields:
            form.add_error(None, messages)


@functools.cache
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class TimeZoneInput(forms.TextInput):
    """A text box that offers the IANA zone names as the therapist types (a <datalist>)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"list": "iana-time-zones", "autocomplete": "off", **(attrs or {})})

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        options = format_html_join("", '<option value="{}">', ((zone,) for zone in _zone_names()))
        return format_html(
            '{}<datalist id="iana-time-zones">{}</datalist>',
            super().render(name, value, attrs, renderer),
            options,
        )


class RedFlagField(forms.BooleanField):
    """One question of the red-flag screen (CLINICAL.md §5); ticked means "yes"."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(required=False, label=RED_FLAGS[code][1])


def red_flag_field_names(severity: str) -> list[str]:
    return [f"red_flag_{code}" for code, (level, _question) in RED_FLAGS.items() if level == severity]


class KnownLabelsAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, labelling choices the page already loaded instead of
    asking the database once per row."""

    labels: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels = {}

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        selected = [str(v) for v in value if str(v) not in ("", "None")]
        if not selected or any(v not in self.labels for v in selected):
            return super().optgroups(name, value, attr)
        options = [
            self.create_option(name, v, self.labels[v], True, index) for index, v in enumerate(selected)
        ]
        return [(None, options, 0)]


class ExercisePicker(KnownLabelsAutocompleteSelect):
    """The plan page's exercise autocomplete: results labelled with level and ladder, and
    narrowed by `category:`, `branch:` and `position:` words (ptrx.exercises.picker)."""

    url_name = "%s:exercises_exercise_picker"

    def build_attrs(
        self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Shown in the empty box, and its accessible name until an exercise is chosen.
        attrs["data-placeholder"] = "Choose an exercise"
        return attrs
