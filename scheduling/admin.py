"""The scheduling admin: a window on protocols, series, visits and the outbox.

Appointments, series and holds are changed only by the services (which lock the row,
check its status, write the audit trail and bring reminders in line), so their admin
pages are view-only and the changes staff may make here are admin actions that call
those same services. Protocols and message templates are the clinic's configuration
and are edited here directly."""

from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html

from clinic.admin import ViewOnlyAdmin, ViewOnlyInline
from clinic.errors import DomainError

from .models import (
    Appointment,
    ConsentSignature,
    ConsentVersion,
    HeldVisit,
    MessageTemplate,
    OnlineBooking,
    Reminder,
    SentMessage,
    SeriesHold,
    TreatedArea,
    TreatmentProtocol,
    TreatmentSeries,
    WaitlistEntry,
)
from .reminders.outbox import reminders_cancel, reminders_retry
from .reminders.reach import patient_phone
from .reminders.rendering import message_render_for_staff
from .reminders.template_checks import TEMPLATE_FIELDS, template_check
from .reminders.tokens import message_url
from .services import appointment_cancel, appointment_mark_no_show, hold_release, series_pause, series_resume

REASON_TEMPLATE = "admin/scheduling/action_reason.html"


def _local(moment, location) -> str:
    """Staff read times in the location's zone, not in UTC."""
    return moment.astimezone(ZoneInfo(location.time_zone)).strftime("%a %d %b %Y %H:%M %Z")


class ServiceActionsMixin:
    """Admin actions that change rows through a service, one row at a time, reporting
    each row's outcome; a row the service refuses gets the service's own message.

    Used with ViewOnlyAdmin: the page itself changes nothing, so the Django permission to
    change the model is what the actions ask for instead ("manage")."""

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request)

    def row_label(self, obj: Model) -> str:
        return str(obj)

    def apply_to_each(self, request: HttpRequest, rows: Iterable[Model], change: Callable[[Model], str]) -> None:
        """Call `change` (which calls one service and says what it did) on every row."""
        for row in rows:
            label = self.row_label(row)
            try:
                done = change(row)
            except DomainError as error:
                self.message_user(request, f"{label}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{label}: {done}", messages.SUCCESS)

    def reason_or_page(
        self, request: HttpRequest, queryset: QuerySet, *, action: str, title: str, question: str, submit: str
    ) -> tuple[str, TemplateResponse | None]:
        """The reason typed on the confirmation page; until there is one, the page that
        asks for it (as Django's delete action asks before deleting). A blank reason
        changes nothing and asks again."""
        if request.POST.get("post"):
            reason = request.POST.get("reason", "").strip()
            if reason:
                return reason, None
            self.message_user(request, "Give a reason; nothing was changed.", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "submit": submit,
            "opts": self.model._meta,
            "rows": [(row.pk, self.row_label(row)) for row in queryset],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "reason": request.POST.get("reason", ""),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return "", TemplateResponse(request, REASON_TEMPLATE, context)


@admin.register(TreatmentProtocol)
class TreatmentProtocolAdmin(admin.ModelAdmin):
    list_display = [
        "name", "session_count_default", "min_interval_days", "target_interval_days", "max_interval_days", "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_active"]}),
        ("Series", {"fields": [
            "session_count_min", "session_count_default", "session_count_max",
            "min_interval_days", "target_interval_days", "max_interval_days",
        ]}),
        ("Durations", {"fields": [
            "consultation_minutes", "numbing_minutes", "area_minutes", "max_treatment_minutes", "turnover_minutes",
        ]}),
        ("Follow-ups and maintenance", {"fields": [
            "healing_check_min_days", "healing_check_max_days", "healing_check_minutes", "healing_check_by_phone",
            "review_min_days", "review_max_days", "review_minutes", "maintenance_min_days", "maintenance_max_days",
        ]}),
        ("Consultations and reminders", {"fields": ["consultation_valid_days", "reminder_lead_hours"]}),
        ("What patients are told", {"fields": ["pre_care_text", "aftercare_text"]}),
    ]


class SeriesAppointmentInline(ViewOnlyInline):
    model = Appointment
    fields = ["kind", "session_number", "local_start", "provider", "room", "status"]
    readonly_fields = fields
    ordering = ["starts_at"]
    show_change_link = True

    @admin.display(description="Starts (local)")
    def local_start(self, obj):
        return _local(obj.starts_at, obj.location) if obj.pk else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "provider", "room")


@admin.register(TreatmentSeries)
class TreatmentSeriesAdmin(ServiceActionsMixin, ViewOnlyAdmin):
    """View-only: a series is planned, paused, resumed and cancelled by the services."""

    list_display = ["patient", "protocol", "session_count", "provider", "location", "status", "created_at"]
    list_filter = ["status", "location", "protocol", "provider"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "protocol", "provider", "location"]
    date_hierarchy = "created_at"
    fields = [
        "patient", "consultation", "protocol", "location", "provider", "session_count",
        "status", "status_reason", "created_by", "created_at", "updated_at",
    ]
    readonly_fields = fields
    inlines = [SeriesAppointmentInline]
    actions = ["pause", "resume"]

    def row_label(self, obj: TreatmentSeries) -> str:
        return f"Series {obj.pk} for {obj.patient}"

    @admin.action(description="Pause the selected series (asks for a reason)", permissions=["manage"])
    def pause(self, request, queryset):
        reason, page = self.reason_or_page(
            request, queryset, action="pause", title="Pause these series",
            question="Booked visits stay booked; the series stops nudging for unbooked sessions until it is resumed.",
            submit="Pause",
        )
        if page is not None:
            return page

        def change(series: TreatmentSeries) -> str:
            series_pause(series=series, reason=reason, paused_by=request.user)
            return "paused."

        self.apply_to_each(request, queryset, change)
        return None

    @admin.action(description="Resume the selected series", permissions=["manage"])
    def resume(self, request, queryset):
        def change(series: TreatmentSeries) -> str:
            series = series_resume(series=series, resumed_by=request.user)
            if series.status == TreatmentSeries.Status.COMPLETED:
                return "resumed; no session was left to happen, so the series is completed."
            return "resumed."

        self.apply_to_each(request, queryset, change)


class TreatedAreaInline(ViewOnlyInline):
    model = TreatedArea


@admin.register(Appointment)
class AppointmentAdmin(ServiceActionsMixin, ViewOnlyAdmin):
    """View-only: visits are booked, moved, cancelled, checked in, completed and marked
    no-shows by the services, which audit each change and keep reminders in line.
    Cancel and no-show are offered here as actions."""

    list_display = [
        "local_start", "kind", "session_number", "patient", "provider", "room", "status", "late_cancellation",
    ]
    list_filter = ["status", "kind", "location", "provider", "room", "late_cancellation"]
    search_fields = ["patient__last_name", "patient__first_name", "provider__display_name"]
    list_select_related = ["patient", "provider", "room", "location"]
    date_hierarchy = "starts_at"
    inlines = [TreatedAreaInline]
    fieldsets = [
        (None, {"fields": [
            "kind", "location", "patient", "provider", "room", "series", "session_number", "consultation",
        ]}),
        ("Time (UTC)", {"fields": ["starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"]}),
        ("Status", {"fields": [
            "status", "cancel_reason", "cancelled_at", "late_cancellation", "checked_in_at", "completed_at",
        ]}),
        ("Treatment record", {"fields": ["device", "side_effects", "notes"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]
    actions = ["cancel", "mark_no_show"]

    @admin.display(description="Starts (local)", ordering="starts_at")
    def local_start(self, obj):
        return _local(obj.starts_at, obj.location)

    def row_label(self, obj: Appointment) -> str:
        number = f" {obj.session_number}" if obj.session_number else ""
        return f"{obj.get_kind_display()}{number} for {obj.patient} on {_local(obj.starts_at, obj.location)}"

    @admin.action(description="Cancel the selected visits (asks for a reason)", permissions=["manage"])
    def cancel(self, request, queryset):
        reason, page = self.reason_or_page(
            request, queryset, action="cancel", title="Cancel these visits",
            question="Their pending reminders are cancelled and their time is free again.",
            submit="Cancel the visits",
        )
        if page is not None:
            return page

        def change(appointment: Appointment) -> str:
            appointment = appointment_cancel(appointment=appointment, reason=reason, cancelled_by=request.user)
            return "cancelled (late cancellation)." if appointment.late_cancellation else "cancelled."

        self.apply_to_each(request, queryset, change)
        return None

    @admin.action(description="Mark the selected visits as no-shows", permissions=["manage"])
    def mark_no_show(self, request, queryset):
        def change(appointment: Appointment) -> str:
            appointment_mark_no_show(appointment=appointment, marked_by=request.user)
            return "marked as a no-show."

        self.apply_to_each(request, queryset, change)


class HeldVisitInline(ViewOnlyInline):
    model = HeldVisit
    fields = ["kind", "session_number", "provider", "room", "starts_at", "ends_at"]
    readonly_fields = fields


@admin.register(SeriesHold)
class SeriesHoldAdmin(ServiceActionsMixin, ViewOnlyAdmin):
    """Holds are short-lived; the admin shows them so staff can see who holds which slots,
    and can give held slots back early."""

    list_display = ["patient", "purpose", "status", "expires_at", "created_by", "created_at"]
    list_filter = ["status", "purpose", "location"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "created_by"]
    readonly_fields = [
        "location", "patient", "consultation", "protocol", "series", "purpose", "status", "expires_at", "created_by",
    ]
    inlines = [HeldVisitInline]
    actions = ["release"]

    @admin.action(description="Release the selected holds (give the slots back)", permissions=["manage"])
    def release(self, request, queryset):
        def change(hold: SeriesHold) -> str:
            hold_release(hold=hold, released_by=request.user)
            hold.refresh_from_db(fields=["status"])
            return "released." if hold.status == SeriesHold.Status.RELEASED else f"{hold.get_status_display()}: kept."

        self.apply_to_each(request, queryset, change)


# --- Reminders ------------------------------------------------------------------------
SENT_MESSAGE_STATUSES = ["sent", "failed", "skipped"]
# Long links in a body wrap instead of widening the page.
BODY_STYLE = 'style="white-space:pre-wrap;overflow-wrap:anywhere"'


@admin.register(OnlineBooking)
class OnlineBookingAdmin(ViewOnlyAdmin):
    """Consultations asked for on the public page: waiting for the code, booked, or not
    booked and why. The code itself is never kept, only a keyed hash of it."""

    list_display = ["created_at", "first_name", "last_name", "location", "starts_at", "status", "attempts", "patient"]
    list_filter = ["status", "location"]
    search_fields = ["last_name", "first_name", "email"]
    list_select_related = ["location", "patient"]
    ordering = ["-created_at"]
    fields = ["location", "status", "starts_at", "first_name", "last_name", "date_of_birth", "email", "phone",
              "consent_email", "consent_sms", "code_channel", "attempts", "expires_at", "client_address",
              "patient", "appointment", "failure", "created_at", "confirmed_at"]
    readonly_fields = fields


def _reminder_zone(reminder: Reminder) -> ZoneInfo:
    """The patient's zone; an online booking's code: the location's (no patient yet)."""
    if reminder.patient_id:
        return ZoneInfo(reminder.patient.time_zone)
    return ZoneInfo(reminder.online_booking.location.time_zone)


@admin.register(Reminder)
class ReminderAdmin(ViewOnlyAdmin):
    """The outbox as staff see it: what is due, what went, and what failed and why."""

    list_display = ["due_local", "kind", "channel", "patient", "status", "attempts", "short_error", "sent_at"]
    list_filter = ["status", "kind", "channel", "deferred_for_quiet_hours"]
    search_fields = ["patient__last_name", "patient__first_name", "key"]
    list_select_related = ["patient"]
    date_hierarchy = "due_at"
    ordering = ["-due_at"]
    actions = ["send_again", "cancel_pending"]
    readonly_fields = [
        "key", "kind", "slot", "channel", "status", "patient", "appointment", "series", "waitlist_entry", "due_at",
        "visit_starts_at", "deferred_for_quiet_hours", "payload", "attempts", "claim_token", "lease_until",
        "last_error", "provider_message_id", "sent_at", "failed_at", "cancelled_at", "created_at", "updated_at",
    ]

    @admin.display(description="Due (patient's time)", ordering="due_at")
    def due_local(self, obj):
        return obj.due_at.astimezone(_reminder_zone(obj)).strftime("%a %d %b %Y %H:%M %Z")

    @admin.display(description="Error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "...") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Send again (failed or skipped messages)")
    def send_again(self, request, queryset):
        count = reminders_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) will be sent within a minute.")

    @admin.action(description="Cancel (pending messages)")
    def cancel_pending(self, request, queryset):
        count = reminders_cancel(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) cancelled.")


@admin.register(SentMessage)
class SentMessageAdmin(ViewOnlyAdmin):
    """"Sent messages": every message that went (or was refused), to whom, by which
    channel, what the provider reported since, and its words as the patient read them.
    Under `make run` they are also files under var/mail and var/sms."""

    list_display = ["sent_local", "recipient", "channel", "kind", "status", "delivery", "patient"]
    list_filter = ["channel", "kind", "status", "delivery"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__email"]
    list_select_related = ["patient"]
    ordering = ["-sent_at", "-pk"]
    fields = ["patient", "recipient", "channel", "kind", "status", "delivery", "delivery_detail", "sent_local",
              "message_page", "rendered_body", "last_error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=SENT_MESSAGE_STATUSES)

    @admin.display(description="Sent (patient's time)", ordering="sent_at")
    def sent_local(self, obj):
        moment = obj.sent_at or obj.failed_at or obj.updated_at
        return moment.astimezone(_reminder_zone(obj)).strftime("%a %d %b %Y %H:%M %Z")

    @admin.display(description="Recipient")
    def recipient(self, obj):
        if not obj.patient_id:
            booking = obj.online_booking
            return booking.email if obj.channel == "email" else str(booking.phone)
        return obj.patient.email if obj.channel == "email" else patient_phone(obj.patient)

    @admin.display(description="Message page")
    def message_page(self, obj):
        url = message_url(reminder_id=obj.pk)
        return format_html('<a href="{}">Open the message as the patient sees it</a>', url)

    @admin.display(description="Rendered body")
    def rendered_body(self, obj):
        if obj.kind == Reminder.Kind.BOOKING_CODE:
            return "A one-time code for a consultation booked online (the code is not shown here)."
        rendered = message_render_for_staff(obj)
        if rendered is None:
            return "There is no template for this kind of message."
        if obj.channel == "sms":
            return format_html(f"<pre {BODY_STYLE}>{{}}</pre>", rendered.sms)
        return format_html(f"<strong>{{}}</strong><pre {BODY_STYLE}>{{}}</pre>", rendered.subject, rendered.text)


class MessageTemplateForm(forms.ModelForm):
    """Each field is checked as it will be rendered (scheduling.reminders.template_checks):
    a syntax error, an unknown variable or a tag reaching outside the message is refused
    with the reason, and the SMS body may use only the SMS variables."""

    class Meta:
        model = MessageTemplate
        fields = ["email_subject", "email_text", "email_html", "sms_body"]

    def clean(self):
        data = super().clean()
        for field in TEMPLATE_FIELDS:
            if field in data:
                try:
                    template_check(data[field], kind=self.instance.kind, field=field)
                except ValidationError as error:
                    self.add_error(field, error)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["kind", "email_subject", "updated_at"]
    readonly_fields = ["kind", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "updated_at"]}),
        ("Email", {"fields": ["email_subject", "email_text", "email_html"]}),
        ("Text message", {"fields": ["sms_body"],
                          "description": "Only first name, time, clinic and link: no treatment or health detail."}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = [
        "patient", "location", "kind", "provider", "earliest_date", "latest_date", "status", "last_offered_at",
    ]
    list_filter = ["status", "location", "kind"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "location", "provider"]
    autocomplete_fields = ["patient", "provider"]


@admin.register(ConsentVersion)
class ConsentVersionAdmin(ViewOnlyAdmin):
    """Published consent wordings, read-only: the clinic edits them on the front-desk site's
    Consent page, where each edit is published as a new version."""

    list_display = ["document", "number", "title", "published_at", "published_by"]
    list_filter = ["document"]


@admin.register(ConsentSignature)
class ConsentSignatureAdmin(ViewOnlyAdmin):
    """Signed consents, read-only: a signature never changes."""

    list_display = ["patient", "version", "signed_name", "signed_at", "witnessed_by"]
    list_select_related = ["patient", "version", "witnessed_by"]
    search_fields = ["patient__last_name", "patient__first_name", "signed_name"]
    date_hierarchy = "signed_at"
