from zoneinfo import ZoneInfo

from django.contrib import admin

from .models import Appointment, HeldVisit, SeriesHold, TreatedArea, TreatmentProtocol, TreatmentSeries


def _local(moment, location) -> str:
    """Staff read times in the location's zone, not in UTC."""
    return moment.astimezone(ZoneInfo(location.time_zone)).strftime("%a %d %b %Y %H:%M")


@admin.register(TreatmentProtocol)
class TreatmentProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "session_count_default", "min_interval_days", "target_interval_days", "max_interval_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_active"]}),
        ("Series", {"fields": ["session_count_min", "session_count_default", "session_count_max", "min_interval_days", "target_interval_days", "max_interval_days"]}),
        ("Durations", {"fields": ["consultation_minutes", "numbing_minutes", "area_minutes", "max_treatment_minutes", "turnover_minutes"]}),
        ("Follow-ups and maintenance", {"fields": ["healing_check_min_days", "healing_check_max_days", "healing_check_minutes", "healing_check_by_phone", "review_min_days", "review_max_days", "review_minutes", "maintenance_min_days", "maintenance_max_days"]}),
        ("Consultations and reminders", {"fields": ["consultation_valid_days", "reminder_lead_hours"]}),
    ]


class SeriesAppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ["kind", "session_number", "local_start", "provider", "room", "status"]
    readonly_fields = ["local_start"]
    ordering = ["starts_at"]
    extra = 0
    show_change_link = True
    can_delete = False

    @admin.display(description="Starts (local)")
    def local_start(self, obj):
        return _local(obj.starts_at, obj.location) if obj.pk else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "provider", "room")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TreatmentSeries)
class TreatmentSeriesAdmin(admin.ModelAdmin):
    list_display = ["patient", "protocol", "session_count", "provider", "location", "status", "created_at"]
    list_filter = ["status", "location", "protocol", "provider"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "protocol", "provider", "location"]
    autocomplete_fields = ["patient", "provider", "consultation"]
    date_hierarchy = "created_at"
    inlines = [SeriesAppointmentInline]


class TreatedAreaInline(admin.TabularInline):
    model = TreatedArea
    extra = 0


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["local_start", "kind", "session_number", "patient", "provider", "room", "status", "late_cancellation"]
    list_filter = ["status", "kind", "location", "provider", "room", "late_cancellation"]
    search_fields = ["patient__last_name", "patient__first_name", "provider__display_name"]
    list_select_related = ["patient", "provider", "room", "location"]
    autocomplete_fields = ["patient", "provider", "series", "consultation"]
    date_hierarchy = "starts_at"
    inlines = [TreatedAreaInline]
    fieldsets = [
        (None, {"fields": ["kind", "location", "patient", "provider", "room", "series", "session_number", "consultation"]}),
        ("Time (UTC)", {"fields": ["starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"]}),
        ("Status", {"fields": ["status", "cancel_reason", "cancelled_at", "late_cancellation", "checked_in_at", "completed_at"]}),
        ("Treatment record", {"fields": ["device", "side_effects", "notes"]}),
    ]

    @admin.display(description="Starts (local)", ordering="starts_at")
    def local_start(self, obj):
        return _local(obj.starts_at, obj.location)


class HeldVisitInline(admin.TabularInline):
    model = HeldVisit
    fields = ["kind", "session_number", "provider", "room", "starts_at", "ends_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SeriesHold)
class SeriesHoldAdmin(admin.ModelAdmin):
    """Holds are short-lived; the admin shows them so staff can see who holds which slots."""

    list_display = ["patient", "purpose", "status", "expires_at", "created_by", "created_at"]
    list_filter = ["status", "purpose", "location"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "created_by"]
    readonly_fields = ["location", "patient", "consultation", "protocol", "series", "purpose", "status", "expires_at", "created_by"]
    inlines = [HeldVisitInline]

    def has_add_permission(self, request):
        return False


# --- Reminders ------------------------------------------------------------------------

from .models import MessageTemplate, Reminder, WaitlistEntry  # noqa: E402
from .reminders.services import reminders_cancel, reminders_retry  # noqa: E402


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
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
        return obj.due_at.astimezone(ZoneInfo(obj.patient.time_zone)).strftime("%a %d %b %Y %H:%M")

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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
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
