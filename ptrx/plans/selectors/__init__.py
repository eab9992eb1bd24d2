"""Reads: plans, today's session and adherence, shared by the API, the admin and the jobs."""

from ptrx.plans.selectors.adherence import Adherence, adherence_by_day_many, adherence_summary
from ptrx.plans.selectors.follow_up import (
    patient_list_follow_up,
    plan_follow_up,
)
from ptrx.plans.selectors.jobs import active_plan_chunks, reads_without_jit
from ptrx.plans.selectors.local_time import patient_local_today, patient_registered_on
from ptrx.plans.selectors.plan_sources import catalogue_load, plan_sources_load, protocols_load
from ptrx.plans.selectors.plans import (
    completion_list,
    notification_list,
    phase_status,
    plan_get_active,
    plan_list,
    plan_phase_options,
    plan_weeks,
    plan_with_prescriptions,
    prescription_due_on,
    today_for,
)

__all__ = [
    "Adherence",
    "active_plan_chunks",
    "adherence_by_day_many",
    "adherence_summary",
    "catalogue_load",
    "completion_list",
    "notification_list",
    "patient_list_follow_up",
    "patient_local_today",
    "patient_registered_on",
    "phase_status",
    "plan_follow_up",
    "plan_get_active",
    "plan_list",
    "plan_phase_options",
    "plan_sources_load",
    "plan_weeks",
    "plan_with_prescriptions",
    "prescription_due_on",
    "protocols_load",
    "reads_without_jit",
    "today_for",
]
