"""The visits that occupy people and rooms, and the areas treated at each."""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q

from clinic.db import PostgresExclusionConstraint
from clinic.validators import ChoiceListValidator
from patients.choices import SideEffect
from patients.models import DEPTH_IN_RANGE, AreaDepth

from .series import TreatmentSeries, TsTzRange

# The status groups, one home for the code, the constraints and the SQL (`statuses_sql`).
# Active: holds people and rooms; a cancelled visit or a no-show frees its time.
ACTIVE_STATUSES = ("booked", "confirmed", "checked_in", "completed")
# Open: still ahead of the patient, so it can be confirmed, moved or cancelled.
OPEN_STATUSES = ("booked", "confirmed")


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

    ACTIVE_STATUSES = ACTIVE_STATUSES
    OPEN_STATUSES = OPEN_STATUSES

    class Device(models.TextChoices):
        PEN = "pen", "Microneedling pen"
        ROLLER = "roller", "Dermaroller"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey("clinic.Provider", on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        "clinic.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
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

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
                condition=Q(status__in=list(ACTIVE_STATUSES)),
                name="appointment_provider_busy_idx",
            ),
            models.Index(
                fields=["room", "starts_at"], include=["room_ends_at"],
                condition=Q(status__in=list(ACTIVE_STATUSES), room__isnull=False),
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
            models.CheckConstraint(
                condition=Q(room_ends_at__gte=F("ends_at")), name="appointment_room_ends_after_visit"
            ),
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
                condition=Q(status__in=list(ACTIVE_STATUSES)),
                violation_error_message="The provider already has a visit at that time.",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    (TsTzRange("starts_at", "room_ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=list(ACTIVE_STATUSES), room__isnull=False),
                violation_error_message="The room is already in use at that time.",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_patient_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("patient", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=list(ACTIVE_STATUSES)),
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


def statuses_sql(statuses: tuple[str, ...]) -> str:
    """A status group as an SQL list, for the few queries written out by hand."""
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"
