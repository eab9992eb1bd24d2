"""What the therapist's pages show of outcomes: the trends on the plan page and the
patient list's flag (used by ptrx.plans.admin)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from ptrx.outcomes.charts import outcome_chart
from ptrx.outcomes.domain import NPRS_CHANGE, score_range
from ptrx.outcomes.selectors import outcomes_for
from ptrx.plans.models import Patient

NPRS_RANGE = (0.0, 10.0)


def outcome_trends(patient: Patient) -> list[tuple[str, Any, SafeString]]:
    """(name, outcome, SVG) for each instrument the patient answered, NPRS included."""
    trends = []
    for series in outcomes_for(patient=patient):
        instrument = series.instrument
        low, high = score_range(instrument) if instrument else NPRS_RANGE
        change = instrument.change if instrument else NPRS_CHANGE
        points = [(point.date, point.score) for point in series.points]
        svg = outcome_chart(name=series.name, points=points, low=low, high=high, change=change)
        # The chart escapes every text it contains (ptrx.outcomes.charts).
        trends.append((series.name, series.outcome, mark_safe(svg)))  # noqa: S308
    return trends


class OutcomeWorseFilter(admin.SimpleListFilter):
    """Patients whose latest response to an instrument was worse (needs patients_with_outcome_flag)."""

    title = "outcome worse"
    parameter_name = "outcome_worse"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Worse at the latest response"), ("no", "Not worse")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(outcome_worse=self.value() == "yes")
        return queryset
