"""Small admin pages of our own (generate a plan, duplicate a plan) in the admin's look."""

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    form: Any,
    original: Any,
    title: str,
    submit_label: str,
    note: str = "",
) -> TemplateResponse:
    """A one-form page with the admin's breadcrumbs, widgets and error display."""
    adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=model_admin)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": original,
        "title": title,
        "subtitle": str(original),
        "adminform": adminform,
        "errors": helpers.AdminErrorList(form, []),
        "media": model_admin.media + adminform.media,
        "submit_label": submit_label,
        "note": note,
    }
    return TemplateResponse(request, "admin/plans/form_page.html", context)
