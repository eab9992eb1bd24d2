"""Patients, protocols, plans and everything patients log against them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ptrx.exercises.models import Exercise
from ptrx.exercises.validators import validate_precautions
from ptrx.plans.domain.adherence import item_kind

PAIN_RANGE = Q(pain_during__isnull=True) | (Q(pain_during__gte=0) & Q(pain_during__lte=10))


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Both sides"


class Irritability(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"


class Patient(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patients")
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA time zone, e.g. Europe/London")
    reminder_time = models.TimeField(default="09:00", help_text="Local time of the daily reminder")
    reminders_enabled = models.BooleanField(default=True)
    reminder_channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    branches = models.JSONField(default=list, help_text="Involved cluneal branches")
    side = models.CharField(max_length=16, choices=Side.choices)
    irritability = models.CharField(
        max_length=16, choices=Irritability.choices, default=Irritability.MODERATE
    )
    # Intake red-flag screen (CLINICAL.md §5): red-flag code -> answered yes.
    red_flags = models.JSONField(default=dict, blank=True)
    red_flags_screened_on = models.DateField(null=True, blank=True)
    # Intake precaution screen (CLINICAL.md §9): codes; never shown to the patient.
    precautions = models.JSONField(default=list, blank=True, validators=[validate_precautions])
    precautions_cleared_on = models.DateField(
        null=True, blank=True, help_text="When the therapist recorded clearance after a recent procedure"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("user__username",)
        # The reminder sweep selects patients by zone and a reminder-time range.
        indexes = [models.Index(fields=["timezone", "reminder_time"], name="patient_zone_reminder_time")]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Protocol(models.Model):
    """The clinic's template for one branch: phases and which ladders enter where."""

    branch = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return self.name


class ProtocolPhase(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    goal = models.TextField()
    min_weeks = models.PositiveSmallIntegerField()
    typical_weeks = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("protocol", "number")
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_phase_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.branch} phase {self.number}: {self.name}"


class ProtocolEntry(models.Model):
    phase = models.ForeignKey(ProtocolPhase, on_delete=models.CASCADE, related_name="entries")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    sets = models.PositiveSmallIntegerField()
    reps = models.PositiveSmallIntegerField()
    hold_seconds = models.PositiveSmallIntegerField(default=0)
    sessions_per_day = models.PositiveSmallIntegerField(default=1)
    days_per_week = models.PositiveSmallIntegerField(default=7)
    notes = models.CharField(max_length=240, blank=True)
    optional = models.BooleanField(
        default=False,
        help_text="An option the therapist adds by hand when the patient is ready; never generated",
    )

    class Meta:
        ordering = ("phase", "id")
        constraints = [models.UniqueConstraint(fields=["phase", "exercise"], name="protocol_entry_unique")]

    def __str__(self) -> str:
        return f"{self.phase}: {self.exercise.slug}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Plan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    branches = models.JSONField(default=list)
    side = models.CharField(max_length=16, choices=Side.choices)
    irritability = models.CharField(
        max_length=16, choices=Irritability.choices, default=Irritability.MODERATE
    )
    start_date = models.DateField()
    current_phase = models.PositiveSmallIntegerField(default=1)
    auto_progress = models.BooleanField(
        default=True, help_text="Apply the daily progression decision without a therapist's review"
    )
    status_reason = models.CharField(max_length=240, blank=True)
    baseline_pain = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Usual next-morning pain (0-10) at intake. Left empty, the plan's baseline is the "
            "median next-morning pain of the check-ins in its first 7 days."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the patient's precautions changed at generation: [{"phase", "exercise",
    # "action", "replacement", "precautions"}]; null when they changed nothing.
    precaution_changes = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-start_date", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="one_active_plan_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(baseline_pain__isnull=True) | Q(baseline_pain__lte=10),
                name="plan_baseline_pain_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class Phase(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    goal = models.TextField()
    min_weeks = models.PositiveSmallIntegerField()
    typical_weeks = models.PositiveSmallIntegerField()
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("plan", "number")
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="phase_number_unique")]

    def __str__(self) -> str:
        return f"Phase {self.number}: {self.name}"


class Prescription(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="prescriptions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="prescriptions")
    sets = models.PositiveSmallIntegerField()
    reps = models.PositiveSmallIntegerField()
    hold_seconds = models.PositiveSmallIntegerField(default=0)
    # Blank when the exercise is not done one side at a time.
    side = models.CharField(max_length=16, choices=Side.choices, blank=True)
    sessions_per_day = models.PositiveSmallIntegerField(default=1)
    days_of_week = models.JSONField(default=list, help_text="0=Monday .. 6=Sunday")
    notes = models.CharField(max_length=240, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("phase", "order", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "exercise"], name="prescription_exercise_once_per_phase"
            ),
            models.CheckConstraint(condition=Q(sets__gte=1), name="prescription_sets_positive"),
            models.CheckConstraint(condition=Q(reps__gte=1), name="prescription_reps_positive"),
            models.CheckConstraint(
                condition=Q(sessions_per_day__gte=1), name="prescription_sessions_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise.name} {self.sets}x{self.reps}"

    @property
    def kind(self) -> str:
        """`exercise` or `advice` (advice is acknowledged, never scored)."""
        return item_kind(self.exercise.category)


class Completion(models.Model):
    # `plan` repeats prescription.phase.plan so adherence windows are one indexed query.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="completions")
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="completions")
    date = models.DateField(help_text="Patient-local date")
    session = models.PositiveSmallIntegerField(default=1)
    # An advice item is acknowledged, not performed: no sets and no pain.
    sets_done = models.PositiveSmallIntegerField(default=0)
    reps_done = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_during = models.PositiveSmallIntegerField(null=True, blank=True)
    effort = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-session", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "date", "session"], name="completion_once_per_session"
            ),
            models.CheckConstraint(condition=PAIN_RANGE, name="completion_pain_0_10"),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__lte=10), name="completion_effort_0_10"
            ),
            models.CheckConstraint(condition=Q(session__gte=1), name="completion_session_positive"),
        ]
        indexes = [models.Index(fields=["plan", "date"], name="completion_plan_date")]

    def __str__(self) -> str:
        return f"{self.prescription} on {self.date} session {self.session}"


class CheckIn(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    date = models.DateField(help_text="Patient-local date")
    pain_now = models.PositiveSmallIntegerField()
    pain_next_morning = models.PositiveSmallIntegerField(null=True, blank=True)
    flare = models.BooleanField(default=False)
    red_flags = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    # Made by an offline client so that replaying a queued check-in cannot record it twice.
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(pain_now__lte=10), name="checkin_pain_now_0_10"),
            models.UniqueConstraint(
                fields=["patient", "client_id"],
                condition=Q(client_id__isnull=False),
                name="checkin_patient_client_id",
            ),
            models.CheckConstraint(
                condition=Q(pain_next_morning__isnull=True) | Q(pain_next_morning__lte=10),
                name="checkin_pain_next_morning_0_10",
            ),
        ]
        indexes = [models.Index(fields=["patient", "date"], name="checkin_patient_date")]

    def __str__(self) -> str:
        return f"Check-in {self.date} ({self.patient})"


class Outcome(models.TextChoices):
    ADVANCE = "advance", "Advance"
    HOLD = "hold", "Hold"
    REGRESS = "regress", "Regress"


class ProgressionDecision(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="decisions")
    date = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # [{"code": ..., "text": ...}]
    reasons = models.JSONField(default=list)
    from_phase = models.PositiveSmallIntegerField()
    to_phase = models.PositiveSmallIntegerField()
    applied = models.BooleanField(default=False)
    # Null when the daily evaluation decided.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "date"],
                condition=Q(decided_by__isnull=True),
                name="one_system_decision_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.date}"


class NotificationKind(models.TextChoices):
    DAILY = "daily", "Daily reminder"
    MISSED = "missed", "Missed-session nudge"
    THERAPIST_ALERT = "therapist_alert", "Therapist alert"
    RED_FLAG = "red_flag", "Red flag alert"
    OUTCOME_ALERT = "outcome_alert", "Outcome alert"


# Kinds addressed to the patient (the rest go to their therapist).
PATIENT_KINDS = (NotificationKind.DAILY, NotificationKind.MISSED)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class OutboxMessage(models.Model):
    """An email waiting in the database outbox; senders claim it before sending."""

    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Until when sending still makes sense; past it the row expires instead.
    send_before = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # The HTML alternative of `body`, rendered with it; blank sends text only.
    html_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Notification(OutboxMessage):
    """The outbox: one row per message, the unique key makes each effect happen once."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notifications")
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    local_date = models.DateField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "local_date"], name="notification_once_per_day"
            )
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="notification_status_claimed")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.local_date} ({self.status})"


class AdherenceSnapshot(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="adherence_snapshots")
    date = models.DateField()
    prescribed = models.PositiveIntegerField()
    completed = models.PositiveIntegerField()

    class Meta:
        ordering = ("-date",)
        constraints = [
            models.UniqueConstraint(fields=["plan", "date"], name="adherence_snapshot_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.date}: {self.completed}/{self.prescribed}"


class TherapistDigest(OutboxMessage):
    """The outbox row of a therapist's daily digest: the unique key sends it once a day."""

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    date = models.DateField(help_text="UTC date of the digest")

    class Meta:
        ordering = ("-date", "-id")
        constraints = [
            models.UniqueConstraint(fields=["therapist", "date"], name="therapist_digest_once_per_day")
        ]

    def __str__(self) -> str:
        return f"Digest {self.date} for {self.therapist} ({self.status})"


class CalendarFeed(models.Model):
    """A patient's private calendar feed. The database keeps only the SHA-256 of the
    URL's secret; the secret itself is derived from `nonce` with the server's key, so a
    copy of the database alone opens no feed. A new nonce retires the old URL."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="calendar_feed")
    nonce = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.patient}"


class PlanView(models.Model):
    """When a therapist last opened a plan's page: what changed since is counted from it."""

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="views")
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["therapist", "plan"], name="plan_view_once_per_therapist")
        ]

    def __str__(self) -> str:
        return f"{self.therapist} saw plan {self.plan_id} at {self.last_seen_at:%Y-%m-%d %H:%M}"
