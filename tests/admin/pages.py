"""Reading admin pages as a browser would: the POST a form sends as rendered."""

import datetime as dt
from typing import Any

from django import forms


def _field_values(form: forms.BaseForm, data: dict[str, Any]) -> None:
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if isinstance(form.fields[name], forms.MultipleChoiceField):
            data[bound.html_name] = [str(item) for item in value or []]
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(value, dt.date | dt.time):
            data[bound.html_name] = value.isoformat()
        else:
            data[bound.html_name] = str(value)


def form_data(response: Any) -> dict[str, Any]:
    """Every field of an admin change page (main form and inline formsets) at the value
    the page shows, ready to change and post back."""
    data: dict[str, Any] = {}
    _field_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _field_values(formset.management_form, data)
        for form in formset.forms:
            _field_values(form, data)
    return data


def rows(data: dict[str, Any], prefix: str = "prescriptions") -> int:
    return int(data[f"{prefix}-TOTAL_FORMS"])
