"""The plan page's downloads: the printed handout and the FHIR R4 Bundle, under the same
scoping as the plan page itself (another therapist's plan is not found)."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ptrx.plans.admin.scoping import not_found
from ptrx.plans.interop.fhir import FHIR_JSON, fhir_bundle
from ptrx.plans.interop.handout import handout_pdf, handout_plans
from ptrx.plans.models import Plan
from ptrx.plans.selectors import patient_local_today


class HandoutForm(forms.Form):
    phases = forms.ChoiceField(choices=[("current", "current"), ("all", "all")], required=False)
    paper = forms.ChoiceField(choices=[("a4", "A4"), ("letter", "US Letter")], required=False)


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PlanDownloadsMixin(admin.ModelAdmin):
    """Adds the handout and FHIR downloads to a plan admin."""

    def get_urls(self) -> list[URLPattern]:
        downloads = [
            path(
                "<path:object_id>/handout.pdf",
                self.admin_site.admin_view(self.handout_view),
                name="plans_plan_handout",
            ),
            path(
                "<path:object_id>/fhir.json",
                self.admin_site.admin_view(self.fhir_view),
                name="plans_plan_fhir",
            ),
        ]
        return [*downloads, *super().get_urls()]

    def _viewable(self, request: HttpRequest, object_id: str) -> Plan | None:
        plan = self.get_object(request, unquote(object_id))
        if plan is not None and not self.has_view_permission(request, plan):
            raise PermissionDenied
        return plan

    def handout_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The plan's handout (current phase or `?phases=all`; `?paper=letter` for US Letter)."""
        if self._viewable(request, object_id) is None:
            return not_found(self, request, object_id)
        form = HandoutForm(request.GET)
        if not form.is_valid():
            self.message_user(
                request,
                f"No handout: unknown {' and '.join(form.errors)} (phases is current or all; "
                "paper is a4 or letter).",
                messages.ERROR,
            )
            return redirect(reverse("admin:plans_plan_change", args=[object_id]))
        plan = handout_plans(plans=self.get_queryset(request)).get(pk=unquote(object_id))
        pdf = handout_pdf(
            plan=plan,
            every_phase=form.cleaned_data["phases"] == "all",
            paper=form.cleaned_data["paper"] or "a4",
            printed_on=patient_local_today(patient=plan.patient),
        )
        return _attachment(pdf, content_type="application/pdf", filename=f"handout-plan-{plan.pk}.pdf")

    def fhir_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The plan as a FHIR R4 Bundle, with the patient's pain ratings (docs/FHIR.md)."""
        plan = self._viewable(request, object_id)
        if plan is None:
            return not_found(self, request, object_id)
        bundle: dict[str, Any] = fhir_bundle(
            patient=plan.patient, plans=Plan.objects.filter(pk=plan.pk), now=timezone.now()
        )
        return _attachment(
            json.dumps(bundle, indent=2).encode(),
            content_type=FHIR_JSON,
            filename=f"plan-{plan.pk}-fhir.json",
        )
