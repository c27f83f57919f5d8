"""The waitlist: patients who want an earlier or a specific slot if one frees up."""

from django.db import models
from django.db.models import F, Q

from clinic.validators import ChoiceListValidator


class WaitlistEntry(models.Model):
    """A patient waiting for a visit at a location within a date range."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class TimeOfDay(models.TextChoices):
        MORNING = "morning", "Morning (before 12:00)"
        AFTERNOON = "afternoon", "Afternoon (12:00-17:00)"
        EVENING = "evening", "Evening (after 17:00)"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries")
    location = models.ForeignKey("clinic.Location", on_delete=models.CASCADE, related_name="waitlist_entries")
    provider = models.ForeignKey(
        "clinic.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="Empty means any provider.",
    )
    kind = models.CharField(max_length=16, help_text="The kind of visit wanted (consultation, session, ...).")
    earliest_date = models.DateField()
    latest_date = models.DateField()
    preferred_times = models.JSONField(
        default=list, blank=True, validators=[ChoiceListValidator(TimeOfDay)], help_text="Empty means any time of day."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    last_offered_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["location", "status", "earliest_date"], name="waitlist_location_status")]
        constraints = [
            models.CheckConstraint(condition=Q(earliest_date__lte=F("latest_date")), name="waitlist_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting {self.earliest_date}..{self.latest_date} ({self.get_status_display()})"
