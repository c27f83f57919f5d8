"""The reminder outbox and the message templates a clinic edits.

Every message a patient receives is first a row here, written in the same transaction as
the booking, move or cancellation that causes it. The dispatcher claims due rows and the
send tasks deliver them; the row's status is the truth about what was sent."""

from django.db import models
from django.db.models import F, Q

from patients.choices import Channel


class Reminder(models.Model):
    """One message to one patient, due at a moment, sent at most once."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        SERIES_CONFIRMATION = "series_confirmation", "Series booking confirmation"
        PRE_VISIT = "pre_visit", "Pre-visit reminder"
        FOLLOW_UP = "follow_up", "Follow-up reminder"
        AFTERCARE = "aftercare", "Aftercare"
        SERIES_NUDGE = "series_nudge", "Series nudge"
        MAINTENANCE = "maintenance", "Maintenance prompt"
        WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
        RESCHEDULE = "reschedule", "Visits moved"
        CANCELLATION = "cancellation", "Cancellation notice"
        BOOKING_CODE = "booking_code", "Online booking code"
        PATIENT_LINK = "patient_link", "Link to the patient's own page"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued for sending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    class Delivery(models.TextChoices):
        """What the provider reported after it took the message (webhooks, status callbacks)."""

        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        UNDELIVERED = "undelivered", "Not delivered"
        OPENED = "opened", "Opened"

    # A pending row may still change (move, cancel); these never change again.
    FINAL_STATUSES = ("sent", "failed", "cancelled", "skipped")

    key = models.CharField(
        max_length=160, unique=True, help_text="One key per message: the same message is never written twice."
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    slot = models.CharField(
        max_length=40, blank=True, help_text="Which message of its visit this is (e.g. 'lead:24'); a move keeps it."
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    # Empty only for an online booking's code: the person becomes a patient once they enter it.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    online_booking = models.ForeignKey(
        "scheduling.OnlineBooking", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    series = models.ForeignKey(
        "scheduling.TreatmentSeries", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    waitlist_entry = models.ForeignKey(
        "scheduling.WaitlistEntry", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )

    due_at = models.DateTimeField(help_text="When the message may go out (UTC).")
    visit_starts_at = models.DateTimeField(
        null=True, blank=True, help_text="The visit time the message was written for."
    )
    deferred_for_quiet_hours = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(
        null=True, blank=True, help_text="The dispatcher's claim; a send task acts only on its own."
    )
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A claim not finished by then is taken back.")
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, blank=True)
    delivery_detail = models.CharField(max_length=300, blank=True)
    delivery_at = models.DateTimeField(null=True, blank=True)

    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        # Few indexes: each status change writes every index again, and a busy day moves
        # hundreds of thousands of rows through four statuses.
        indexes = [
            # The dispatcher's two questions: what is due, and which claims have lapsed.
            models.Index(fields=["due_at", "id"], condition=Q(status="pending"), name="reminder_pending_due"),
            models.Index(
                fields=["lease_until"], condition=Q(status__in=["queued", "sending"]), name="reminder_claim_lease"
            ),
            models.Index(fields=["claim_token"], name="reminder_claim_token"),
            models.Index(fields=["appointment", "status"], name="reminder_appointment_status"),
            models.Index(fields=["status", "failed_at"], condition=Q(status="failed"), name="reminder_failed"),
            # Delivery events from the providers' webhooks name the message by their own id.
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="reminder_provider_id"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(kind="booking_code", online_booking__isnull=False),
                name="reminder_has_patient_or_booking",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["queued", "sending"])
                | Q(claim_token__isnull=False, lease_until__isnull=False),
                name="reminder_claim_has_token_and_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="reminder_sent_has_time"
            ),
            models.CheckConstraint(
                condition=Q(visit_starts_at__isnull=True)
                | Q(due_at__lte=F("visit_starts_at"))
                | ~Q(kind__in=["pre_visit", "follow_up"]),
                name="reminder_pre_visit_before_visit",
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.due_at:%Y-%m-%d %H:%M} UTC"
        return f"{self.get_kind_display()} to {self.addressee} by {self.get_channel_display().lower()} at {when}"

    @property
    def addressee(self) -> str:
        """Whom the message is for: the patient, or the person who asked to book online."""
        if self.patient_id:
            return str(self.patient)
        booking = self.online_booking
        return f"{booking.first_name} {booking.last_name}" if booking else "nobody"


class MessageTemplate(models.Model):
    """The words of one kind of message, in the clinic's own voice.

    Rendered with Django's template language in the patient's time zone. The SMS body
    sees only first_name, time, clinic and link, so an edited template cannot put
    treatment or health detail into a text message."""

    kind = models.CharField(max_length=24, choices=Reminder.Kind.choices, unique=True)
    email_subject = models.CharField(max_length=200)
    email_html = models.TextField("email HTML body")
    email_text = models.TextField("email plain-text body")
    sms_body = models.TextField(
        "SMS body", help_text="Only {{ first_name }}, {{ time }}, {{ clinic }} and {{ link }} are available."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class SentMessage(Reminder):
    """The admin's "Sent messages" page: what went out, to whom, by which channel, with
    the words rendered; the same rows as the outbox, seen from the patient's side."""

    class Meta:
        proxy = True
        verbose_name = "sent message"
        verbose_name_plural = "sent messages"

    def __str__(self) -> str:
        sent = f" at {self.sent_at:%Y-%m-%d %H:%M} UTC" if self.sent_at else ""
        return f"{self.get_kind_display()} to {self.addressee} by {self.get_channel_display().lower()}{sent}"
