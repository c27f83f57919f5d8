"""Holds: a proposal kept for a few minutes so another desk cannot take the same slots."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class SeriesHold(models.Model):
    """Slots held for one patient while the front desk confirms with them.

    A hold expires on its own; expired holds are ignored by availability and cleaned up
    periodically. Confirming turns the held visits into appointments in one transaction."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        CONFIRMED = "confirmed", "Confirmed"
        RELEASED = "released", "Released"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    location = models.ForeignKey("clinic.Location", on_delete=models.CASCADE, related_name="holds")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="holds", null=True, blank=True,
        help_text="Empty while a consultation asked for online waits for its code (the patient is known then).",
    )
    consultation = models.ForeignKey(
        "patients.Consultation", on_delete=models.CASCADE, related_name="holds", null=True, blank=True
    )
    protocol = models.ForeignKey("scheduling.TreatmentProtocol", on_delete=models.PROTECT, related_name="holds")
    series = models.ForeignKey(
        "scheduling.TreatmentSeries", on_delete=models.CASCADE, null=True, blank=True, related_name="holds",
        help_text="Set when the hold is for maintenance visits or a reschedule of an existing series.",
    )
    purpose = models.CharField(
        max_length=16, default="series", help_text="series, maintenance, reschedule or online (a consultation)"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["location", "status"])]

    def __str__(self) -> str:
        whom = self.patient or "a consultation booked online"
        return f"Hold for {whom} until {self.expires_at:%H:%M} UTC ({self.get_status_display()})"


class HeldVisit(models.Model):
    """One visit of a hold, with the same three spans as an appointment."""

    hold = models.ForeignKey(SeriesHold, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(max_length=16)
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    provider = models.ForeignKey("clinic.Provider", on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("clinic.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    replaces = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="For a reschedule: the appointment this visit moves.",
    )
    starts_at = models.DateTimeField()
    provider_starts_at = models.DateTimeField()
    provider_ends_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room_ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["provider", "starts_at"]), models.Index(fields=["room", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="held_visit_starts_before_end"),
            models.CheckConstraint(
                condition=Q(room_ends_at__gte=F("ends_at")), name="held_visit_room_ends_after_visit"
            ),
        ]

    def __str__(self) -> str:
        label = self.kind.replace("_", " ").capitalize()
        if self.session_number:
            label = f"{label} {self.session_number}"
        return f"{label} held at {self.starts_at:%Y-%m-%d %H:%M} UTC"
