"""Pure plan domain: generation and progression rules over frozen dataclasses.

Imports only the standard library (an import-linter contract enforces it), so the
rules run and are tested without Django, a database or a broker.
"""

from ptrx.plans.domain.generation import (
    BRANCH_RULES,
    CATEGORY_ORDER,
    DAYS_OF_WEEK,
    BranchRule,
    generate_plan,
)
from ptrx.plans.domain.progression import (
    ADVANCE,
    HOLD,
    REGRESS,
    DayRecord,
    Decision,
    ProgressInput,
    Reason,
    evaluate_progress,
)
from ptrx.plans.domain.protocol_json import catalogue_from_json, protocols_from_json
from ptrx.plans.domain.types import (
    BRANCHES,
    CATEGORIES,
    IRRITABILITIES,
    NAMED_CATEGORIES,
    SIDES,
    Catalogue,
    CatalogueExercise,
    DomainError,
    Dose,
    PatientContext,
    PhaseDraft,
    PlanDraft,
    PrescriptionDraft,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
)

__all__ = [
    "ADVANCE",
    "BRANCHES",
    "BRANCH_RULES",
    "CATEGORIES",
    "CATEGORY_ORDER",
    "DAYS_OF_WEEK",
    "HOLD",
    "IRRITABILITIES",
    "NAMED_CATEGORIES",
    "REGRESS",
    "SIDES",
    "BranchRule",
    "Catalogue",
    "CatalogueExercise",
    "DayRecord",
    "Decision",
    "DomainError",
    "Dose",
    "PatientContext",
    "PhaseDraft",
    "PlanDraft",
    "PrescriptionDraft",
    "ProgressInput",
    "Protocol",
    "ProtocolEntry",
    "ProtocolPhase",
    "Reason",
    "catalogue_from_json",
    "evaluate_progress",
    "generate_plan",
    "protocols_from_json",
]
