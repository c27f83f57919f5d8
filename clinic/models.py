"""The clinic's resources: locations, their hours and closures, providers and rooms."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .validators import validate_person_name, validate_time_zone


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone], help_text="IANA name, e.g. Europe/London."
    )
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    logo_url = models.URLField(
        blank=True, help_text="Optional: the address of the clinic's logo, shown on its emails and patient pages."
    )
    late_cancel_notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A cancellation made with less notice than this is marked late."
    )
    slot_minutes = models.PositiveSmallIntegerField(default=15, help_text="Grid on which visits may start.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=60), name="location_slot_minutes_5_to_60"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One span of a weekday when the location is open (two rows for a lunch break)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="opening_hours_open_before_close"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_0_to_6"),
            models.UniqueConstraint(fields=["location", "weekday", "opens"], name="opening_hours_unique_span"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """A holiday or one-off closed hours: no visit may touch it.

    A yearly closure repeats on the same local dates and wall-clock times every year
    (`clinic.closures.closure_occurrences` turns it into UTC spans)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    repeats_yearly = models.BooleanField(
        default=False, help_text="Closed on the same local dates and times every year (e.g. Christmas Day)."
    )

    class Meta:
        ordering = ["location", "starts_at"]
        indexes = [models.Index(fields=["location", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="closure_starts_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class Provider(models.Model):
    """A practitioner who consults and treats; signs in with their own login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider")
    display_name = models.CharField(max_length=120, validators=[validate_person_name])
    title = models.CharField(max_length=120, blank=True, help_text="e.g. Aesthetic nurse practitioner.")
    is_active = models.BooleanField(default=True)
    calendar_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False,
        help_text="Secret in the provider's calendar feed address; rotating it retires the old address.",
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class WorkingHours(models.Model):
    """When a provider works at a location on a weekday (local time of that location)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["provider", "location", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="working_hours_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday_0_to_6"),
            models.UniqueConstraint(fields=["provider", "weekday", "starts"], name="working_hours_unique_span"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} at {self.location}, {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["provider", "starts_at"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["provider", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="time_off_starts_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.reason or 'time off'}"


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_unique_name_per_location")]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class RoomOutOfService(models.Model):
    """A room taken out of service for a period (repairs, a deep clean): no visit may use it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="out_of_service")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["room", "starts_at"]
        verbose_name = "room out of service"
        verbose_name_plural = "rooms out of service"
        indexes = [models.Index(fields=["room", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="room_out_of_service_starts_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room}: {self.reason or 'out of service'}"


class AuditEntry(models.Model):
    """Who did what, when and from where: one row per change, sign-in, token issued or
    revoked, and read of a clinical record (clinic.audit)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="e.g. 'patient link' or a task name when no login acted."
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The client's address (behind NUM_PROXIES trusted proxies); empty for tasks."
    )

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        who = self.actor_label or self.actor
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type} {self.object_id}"


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key header, so a client's retry
    gets it again instead of booking twice. Written in the same transaction as the change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(
        max_length=255, help_text="Method and path, e.g. POST /api/v1/series/holds/.../confirm/."
    )
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body, keys sorted.")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.endpoint})"
