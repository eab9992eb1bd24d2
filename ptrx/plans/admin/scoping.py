"""Which rows a staff user may see: their own patients' records; a superuser sees all."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class TherapistScopedAdmin(admin.ModelAdmin):
    """Filters every admin queryset (lists, change pages, autocompletes, actions) to the
    requesting therapist's patients, so another therapist's record is simply not found."""

    # The lookup from this model to the patient's therapist, e.g. "patient__therapist".
    therapist_lookup = "patient__therapist"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.therapist_lookup: request.user})


def not_found(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """What the admin answers for a record the user may not see: it does not exist."""
    model_admin.message_user(
        request,
        f'{str(model_admin.opts.verbose_name).capitalize()} with ID "{object_id}" doesn\'t exist. '
        "Perhaps it was deleted?",
        messages.WARNING,
    )
    return redirect(reverse("admin:index"))
