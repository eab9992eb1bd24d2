"""Field rules the library and the patient intake share."""

from django.core.exceptions import ValidationError

from ptrx.plans.domain.precautions import PRECAUTION_CODES, unknown_precautions


def validate_precautions(codes: object) -> None:
    """A list of distinct precaution codes (CLINICAL.md §9)."""
    if not isinstance(codes, list | tuple) or not all(isinstance(code, str) for code in codes):
        raise ValidationError("Precautions must be a list of codes.", code="precautions")
    unknown = unknown_precautions(codes)
    if unknown:
        raise ValidationError(
            f"Unknown precaution {', '.join(unknown)}; use {', '.join(PRECAUTION_CODES)}.", code="precautions"
        )
    if len(set(codes)) != len(codes):
        raise ValidationError("A precaution is listed twice.", code="precautions")
