"""The red-flag screen asked at intake and at every check-in (CLINICAL.md §5)."""

from types import MappingProxyType

EMERGENCY = "emergency"
URGENT = "urgent"

# code -> (severity, question as the patient or therapist reads it)
RED_FLAGS = MappingProxyType(
    {
        "bladder_bowel": (EMERGENCY, "New or worse trouble controlling or emptying your bladder or bowel?"),
        "saddle_numbness": (
            EMERGENCY,
            "New or worsening numbness around your back passage, genitals or inner buttocks "
            "(the 'saddle' area)?",
        ),
        "both_legs": (
            EMERGENCY,
            "New or worsening weakness or numbness in both legs, or new trouble walking?",
        ),
        "sexual_dysfunction": (EMERGENCY, "New problems with sexual function?"),
        "cancer_or_weight_loss": (URGENT, "A history of cancer, or weight loss you cannot explain?"),
        "fever_or_unwell": (
            URGENT,
            "Fever or feeling generally unwell, a weakened immune system, or injecting drug use?",
        ),
        "trauma_or_bone": (URGENT, "A major fall or accident, osteoporosis, or long-term steroid tablets?"),
        "age_onset": (URGENT, "This pain started for the first time when you were under 20 or over 55?"),
        "night_pain": (URGENT, "Pain at night that does not ease whatever position you lie in?"),
        "widespread_neuro": (
            URGENT,
            "Pins and needles, numbness or weakness spreading to other parts of the body?",
        ),
    }
)


def positive_red_flags(answers: dict[str, bool]) -> tuple[str, ...]:
    """The codes answered yes, in the screen's order."""
    return tuple(code for code in RED_FLAGS if answers.get(code) is True)


# Asked, and to be answered yes or no, at every check-in (CLINICAL.md §5).
EMERGENCY_CODES = tuple(code for code, (severity, _question) in RED_FLAGS.items() if severity == EMERGENCY)


def red_flag_level(flags: tuple[str, ...]) -> str:
    """EMERGENCY when any answer yes is an emergency one, otherwise URGENT."""
    return EMERGENCY if any(RED_FLAGS[code][0] == EMERGENCY for code in flags) else URGENT
