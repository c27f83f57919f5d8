"""Treatment protocols and the series a patient follows under one."""


from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def default_area_minutes() -> dict[str, int]:
    return {"face": 30, "neck": 10, "chest": 10, "hands": 10}


# The words of pre-care and aftercare, one point a line; each protocol keeps its own copy,
# which the clinic edits in the admin (Treatment protocols), and every message quotes it.
PRE_CARE_DEFAULT = """No retinoids, exfoliating acids or scrubs for three days before.
No sunburn or tanning in the week before.
Come with clean skin and without make-up.
Tell us before the day about any cold sore, new medication or skin change."""

AFTERCARE_DEFAULT = """Avoid direct sun and wear a broad-spectrum sunscreen every day.
Wash with a gentle cleanser, without scrubbing.
Use a regular non-comedogenic moisturiser.
No harsh or abrasive products until your skin has settled.
Expect redness and sensitivity like a mild sunburn for a few days; some dryness or peeling is normal.
Report any change or concern promptly: call us if pain, swelling or warmth grows, or redness is not fading."""


def default_reminder_lead_hours() -> list[int]:
    return [72, 24]


class TreatmentProtocol(models.Model):
    """The rules of a treatment as data: the planner reads every number from here."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)

    session_count_min = models.PositiveSmallIntegerField(default=3)
    session_count_default = models.PositiveSmallIntegerField(default=3)
    session_count_max = models.PositiveSmallIntegerField(default=6)
    min_interval_days = models.PositiveSmallIntegerField(default=28, help_text="Shortest gap between sessions.")
    target_interval_days = models.PositiveSmallIntegerField(default=28)
    max_interval_days = models.PositiveSmallIntegerField(default=42, help_text="Longest gap between sessions.")

    consultation_minutes = models.PositiveSmallIntegerField(default=30)
    numbing_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Numbing cream: the patient holds a room, the provider is free."
    )
    area_minutes = models.JSONField(
        default=default_area_minutes,
        help_text="Treatment minutes per area; the first area's full time, each further area adds its own.",
    )
    max_treatment_minutes = models.PositiveSmallIntegerField(default=60)
    turnover_minutes = models.PositiveSmallIntegerField(default=10, help_text="Room cleaning after the patient leaves.")

    healing_check_min_days = models.PositiveSmallIntegerField(default=3)
    healing_check_max_days = models.PositiveSmallIntegerField(default=7)
    healing_check_minutes = models.PositiveSmallIntegerField(default=15)
    healing_check_by_phone = models.BooleanField(default=True, help_text="A phone check needs no room.")
    review_min_days = models.PositiveSmallIntegerField(default=28)
    review_max_days = models.PositiveSmallIntegerField(default=42)
    review_minutes = models.PositiveSmallIntegerField(default=20)
    maintenance_min_days = models.PositiveSmallIntegerField(default=60)
    maintenance_max_days = models.PositiveSmallIntegerField(default=90)

    consultation_valid_days = models.PositiveSmallIntegerField(
        default=180, help_text="An eligible consultation older than this needs a new one."
    )
    reminder_lead_hours = models.JSONField(default=default_reminder_lead_hours, help_text="Hours before a visit.")
    pre_care_text = models.TextField(
        default=PRE_CARE_DEFAULT, help_text="Sent with each treatment's reminders: one point a line."
    )
    aftercare_text = models.TextField(
        default=AFTERCARE_DEFAULT, help_text="Sent after each treatment: one point a line."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_count_min__gte=3)
                & Q(session_count_min__lte=F("session_count_default"))
                & Q(session_count_default__lte=F("session_count_max"))
                & Q(session_count_max__lte=6),
                name="protocol_sessions_3_to_6",
            ),
            models.CheckConstraint(
                condition=Q(min_interval_days__gte=1)
                & Q(min_interval_days__lte=F("target_interval_days"))
                & Q(target_interval_days__lte=F("max_interval_days")),
                name="protocol_min_target_max_interval",
            ),
            # A healing check falls after its session and before the next one: the planner
            # relies on no two visits of a series sharing a day but the last check and review.
            models.CheckConstraint(
                condition=Q(healing_check_min_days__gte=1)
                & Q(healing_check_min_days__lte=F("healing_check_max_days"))
                & Q(healing_check_max_days__lt=F("min_interval_days")),
                name="protocol_healing_check_window",
            ),
            models.CheckConstraint(
                condition=Q(review_min_days__gte=1) & Q(review_min_days__lte=F("review_max_days")),
                name="protocol_review_window",
            ),
            models.CheckConstraint(
                condition=Q(maintenance_min_days__gte=1) & Q(maintenance_min_days__lte=F("maintenance_max_days")),
                name="protocol_maintenance_window",
            ),
            models.CheckConstraint(
                condition=Q(max_treatment_minutes__gte=5, max_treatment_minutes__lte=60),
                name="protocol_treatment_at_most_60_minutes",
            ),
            models.CheckConstraint(condition=Q(numbing_minutes__lte=90), name="protocol_numbing_at_most_90_minutes"),
            models.CheckConstraint(condition=Q(consultation_minutes__gte=5), name="protocol_consultation_minutes"),
        ]

    def __str__(self) -> str:
        return self.name

    def treatment_minutes(self, areas: list[str]) -> int:
        """Minutes of treatment for these areas, never more than the protocol's cap."""
        total = sum(int(self.area_minutes.get(area, 0)) for area in set(areas))
        return max(1, min(total, self.max_treatment_minutes))


class TreatmentSeries(models.Model):
    """A patient's initial series of sessions, planned from one eligible consultation."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ON_HOLD = "on_hold", "On hold for provider review"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="series")
    consultation = models.ForeignKey("patients.Consultation", on_delete=models.PROTECT, related_name="series")
    protocol = models.ForeignKey(TreatmentProtocol, on_delete=models.PROTECT, related_name="series")
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="series")
    provider = models.ForeignKey(
        "clinic.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="series",
        help_text="The provider the patient sees for the series, where one was chosen.",
    )
    session_count = models.PositiveSmallIntegerField(validators=[MinValueValidator(3), MaxValueValidator(6)])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "treatment series"
        indexes = [models.Index(fields=["status"]), models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_count__gte=3, session_count__lte=6), name="series_sessions_3_to_6"
            ),
            models.UniqueConstraint(
                fields=["consultation"], condition=~Q(status="cancelled"), name="series_one_live_per_consultation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.session_count} sessions ({self.get_status_display()})"
