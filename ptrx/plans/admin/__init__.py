"""The therapists' admin: patients, plans with their prescriptions and follow-up, and
what patients logged. A therapist sees only their own patients (see scoping)."""

from ptrx.plans.admin import patients, plans, reports

__all__ = ["patients", "plans", "reports"]
