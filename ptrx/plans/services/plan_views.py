"""When a therapist opens a plan's page: remembered, so the page can say what is new."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ptrx.plans.models import Plan, PlanView


def plan_view_record(*, plan: Plan, therapist: AbstractBaseUser, now: dt.datetime) -> dt.datetime | None:
    """Note that `therapist` opened `plan` at `now`; return when they last had (None the
    first time)."""
    with transaction.atomic():
        view, created = PlanView.objects.select_for_update().get_or_create(
            therapist=therapist, plan=plan, defaults={"last_seen_at": now}
        )
        if created:
            return None
        previous = view.last_seen_at
        view.last_seen_at = now
        view.save(update_fields=["last_seen_at"])
    return previous
