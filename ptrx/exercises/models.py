"""The exercise library: every exercise a plan can prescribe, linked into ladders."""

from django.db import models

from ptrx.exercises.validators import validate_precautions


class Category(models.TextChoices):
    BREATHING = "breathing", "Breathing"
    ROTATIONAL_STRETCH = "rotational_stretch", "Rotational stretch"
    NEURODYNAMIC_GLIDE = "neurodynamic_glide", "Neurodynamic glide"
    CORE_STRENGTH = "core_strength", "Core strength"
    GLUTEAL_STRENGTH = "gluteal_strength", "Gluteal strength"
    MOBILITY = "mobility", "Mobility"
    EDUCATION = "education", "Education"


# The five categories every plan must cover (CLINICAL.md §2).
NAMED_CATEGORIES = (
    Category.BREATHING,
    Category.ROTATIONAL_STRETCH,
    Category.NEURODYNAMIC_GLIDE,
    Category.CORE_STRENGTH,
    Category.GLUTEAL_STRENGTH,
)


class Branch(models.TextChoices):
    SUPERIOR = "superior", "Superior cluneal"
    MIDDLE = "middle", "Middle cluneal"
    INFERIOR = "inferior", "Inferior cluneal"


class Position(models.TextChoices):
    SUPINE = "supine", "Lying on your back"
    PRONE = "prone", "Lying on your front"
    SIDE_LYING = "side_lying", "Lying on your side"
    SITTING = "sitting", "Sitting"
    STANDING = "standing", "Standing"
    QUADRUPED = "quadruped", "On hands and knees"


class Exercise(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=32, choices=Category.choices, db_index=True)
    # A subset of Branch values: where the exercise is most relevant.
    branches = models.JSONField(default=list)
    summary = models.TextField()
    # Ordered steps, each a plain-language sentence or two.
    instructions = models.JSONField(default=list)
    cues = models.JSONField(default=list)
    cautions = models.JSONField(default=list)
    # Precaution codes (CLINICAL.md §9) that rule the exercise out; never shown to patients.
    precautions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_precautions],
        help_text="Precautions that rule this exercise out (the generator swaps it for an allowed one)",
    )
    # Blank only for education items, which are not done in a position.
    position = models.CharField(max_length=16, choices=Position.choices, blank=True)
    equipment = models.CharField(max_length=120, default="none")
    per_side = models.BooleanField(default=False)
    sets = models.PositiveSmallIntegerField(default=1)
    reps = models.PositiveSmallIntegerField(default=1)
    hold_seconds = models.PositiveSmallIntegerField(default=0)
    sessions_per_day = models.PositiveSmallIntegerField(default=1)
    days_per_week = models.PositiveSmallIntegerField(default=7)
    level = models.PositiveSmallIntegerField(default=1)
    # One link up the ladder; the reverse accessor `regression` is the link down,
    # so the two directions can never disagree.
    progression = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="regression",
    )
    media_url = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("category", "level", "slug")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(progression=models.F("pk")), name="exercise_not_own_progression"
            ),
            models.CheckConstraint(condition=models.Q(level__gte=1), name="exercise_level_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def regression_or_none(self) -> "Exercise | None":
        try:
            return self.regression
        except Exercise.DoesNotExist:
            return None
