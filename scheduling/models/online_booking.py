"""A consultation asked for on the clinic's public booking page, waiting for the patient
to prove the email address or phone number they gave."""

import uuid

from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from patients.choices import Channel


class OnlineBooking(models.Model):
    """One request from the public page: the details the person typed, the slot held for
    them (a hold with no patient yet) and the one-time code sent to them.

    No patient row exists until the code is entered: the request is matched to a patient
    on record (same email or phone, and same date of birth) or a new one is created only
    then. The rows also count requests per address and per contact for the throttles."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the code"
        CONFIRMED = "confirmed", "Booked"
        FAILED = "failed", "Not booked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    location = models.ForeignKey("clinic.Location", on_delete=models.CASCADE, related_name="online_bookings")
    hold = models.OneToOneField(
        "scheduling.SeriesHold", on_delete=models.SET_NULL, null=True, blank=True, related_name="online_booking"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    starts_at = models.DateTimeField()
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    code_channel = models.CharField(
        max_length=8, choices=Channel.choices, help_text="Where the one-time code was sent."
    )
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    client_address = models.GenericIPAddressField(null=True, blank=True)
    contact_key = models.CharField(
        max_length=64, db_index=True, help_text="A digest of the contact the code went to, for the throttle."
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.SET_NULL, null=True, blank=True, related_name="online_bookings"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client_address", "created_at"], name="online_booking_address"),
            models.Index(fields=["contact_key", "created_at"], name="online_booking_contact"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(email="", phone=""), name="online_booking_has_contact"),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(patient__isnull=False, confirmed_at__isnull=False),
                name="online_booking_confirmed_has_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Online booking for {self.first_name} {self.last_name} ({self.get_status_display()})"
