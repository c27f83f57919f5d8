"""Protocols, treatment series and the appointments that occupy people and rooms."""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

from clinic.db import PostgresExclusionConstraint
from clinic.validators import ChoiceListValidator
from patients.choices import SideEffect
from patients.models import DEPTH_IN_RANGE, AreaDepth


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def default_area_minutes() -> dict[str, int]:
    return {"face": 30, "neck": 10, "chest": 10, "hands": 10}


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "treatment series"
        indexes = [models.Index(fields=["status"]), models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(session_count__gte=3, session_count__lte=6), name="series_sessions_3_to_6"),
            models.UniqueConstraint(
                fields=["consultation"], condition=~Q(status="cancelled"), name="series_one_live_per_consultation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.session_count} sessions ({self.get_status_display()})"


class Appointment(models.Model):
    """Every visit that occupies people and rooms.

    Three time spans, because a session's phases occupy different resources: the patient
    is in the clinic from starts_at to ends_at; the provider from provider_starts_at to
    provider_ends_at (not during numbing); the room from starts_at to room_ends_at (its
    turnover included)."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        SESSION = "session", "Treatment session"
        HEALING_CHECK = "healing_check", "Healing check"
        REVIEW = "review", "Series review"
        MAINTENANCE = "maintenance", "Maintenance session"

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CONFIRMED = "confirmed", "Confirmed"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Statuses that hold people and rooms; a cancelled visit or a no-show frees its time.
    ACTIVE_STATUSES = ("booked", "confirmed", "checked_in", "completed")

    class Device(models.TextChoices):
        PEN = "pen", "Microneedling pen"
        ROLLER = "roller", "Dermaroller"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey("clinic.Provider", on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey("clinic.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    series = models.ForeignKey(
        TreatmentSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    session_number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Which session of the series.")
    consultation = models.OneToOneField(
        "patients.Consultation", on_delete=models.PROTECT, null=True, blank=True, related_name="visit"
    )

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    provider_starts_at = models.DateTimeField()
    provider_ends_at = models.DateTimeField()
    room_ends_at = models.DateTimeField()

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    late_cancellation = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # What was done at a treatment session.
    device = models.CharField(max_length=16, choices=Device.choices, blank=True)
    side_effects = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator(SideEffect)])
    notes = models.TextField(blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["provider", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["series", "session_number"]),
            models.Index(fields=["status", "starts_at"]),
            # Busy time for the planner's loader: index-only scans over a horizon.
            models.Index(
                fields=["provider", "starts_at"], include=["provider_starts_at", "provider_ends_at"],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "completed"]),
                name="appointment_provider_busy_idx",
            ),
            models.Index(
                fields=["room", "starts_at"], include=["room_ends_at"],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "completed"], room__isnull=False),
                name="appointment_room_busy_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="appointment_starts_before_end"),
            models.CheckConstraint(
                condition=Q(provider_starts_at__gte=F("starts_at"))
                & Q(provider_starts_at__lt=F("provider_ends_at"))
                & Q(provider_ends_at__lte=F("ends_at")),
                name="appointment_provider_time_within_visit",
            ),
            models.CheckConstraint(condition=Q(room_ends_at__gte=F("ends_at")), name="appointment_room_ends_after_visit"),
            # No visit lasts a day: the loader relies on it to find busy time by start.
            models.CheckConstraint(
                condition=Q(room_ends_at__lte=F("starts_at") + timedelta(days=1)), name="appointment_shorter_than_a_day"
            ),
            models.CheckConstraint(
                condition=Q(session_number__isnull=True) | Q(session_number__gte=1, session_number__lte=6),
                name="appointment_session_number_1_to_6",
            ),
            models.CheckConstraint(
                condition=~Q(kind="session") | Q(series__isnull=False, session_number__isnull=False),
                name="appointment_session_belongs_to_series",
            ),
            models.CheckConstraint(
                condition=Q(consultation__isnull=True) | Q(kind="consultation"),
                name="appointment_consultation_record_only_on_consultations",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="appointment_cancellation_has_reason",
            ),
            models.UniqueConstraint(
                fields=["series", "session_number"],
                condition=Q(kind="session") & ~Q(status__in=["cancelled", "no_show"]),
                name="appointment_one_live_visit_per_session_number",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_provider_overlap",
                expressions=[
                    (TsTzRange("provider_starts_at", "provider_ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("provider", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "completed"]),
                violation_error_message="The provider already has a visit at that time.",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    (TsTzRange("starts_at", "room_ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "completed"], room__isnull=False),
                violation_error_message="The room is already in use at that time.",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_patient_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("patient", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "completed"]),
                violation_error_message="The patient already has a visit at that time.",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.session_number:
            label = f"{label} {self.session_number}"
        return f"{label}: {self.patient} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class TreatedArea(AreaDepth):
    """One area treated at a session, with the depth actually used."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="treated_areas")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "area"], name="treated_area_once_per_session"),
            models.CheckConstraint(condition=DEPTH_IN_RANGE, name="treated_area_depth_0_5_to_2_5_mm"),
        ]
