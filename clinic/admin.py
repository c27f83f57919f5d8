import json

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from .localtime import local_label
from .models import AuditEntry, Closure, IdempotencyKey, Location, OpeningHours, Provider, Room, TimeOff, WorkingHours
from .spreadsheets import csv_write

admin.site.site_header = "Needlepoint clinic admin"
admin.site.site_title = "Needlepoint"
admin.site.index_title = "Run the clinic"



# --- View-only pages, shared by every app's admin --------------------------------------
class ViewOnlyAdmin(admin.ModelAdmin):
    """A page to read rows that services write (and audit). Saving even an all-read-only
    form would write the whole row back over what a service wrote meanwhile, so the page
    refuses to change, add or delete at all."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page, read-only for the same reason."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

# --- The clinic's resources: read here, changed on the set-up pages ----------------------
# Locations, hours, closures, time off and rooms are typed on the staff app's set-up pages
# (/setup/), in each location's own time with the zone named, with a warning before a
# change strands booked visits, under the booking lock and audited. Here they are read
# only, their times in the location's zone, so no one types a UTC time by mistake.
SETUP_NOTE = "Change these on the set-up pages (/setup/), where times are in the location's own zone."


def _local(moment, location) -> str:
    return local_label(moment, location.time_zone) if moment and location else ""


class ViewOnlyResourceAdmin(ViewOnlyAdmin):
    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": f"{self.model._meta.verbose_name_plural.capitalize()} "
                                                          f"(read only). {SETUP_NOTE}"}
        return super().changelist_view(request, extra_context=extra_context)


class OpeningHoursInline(ViewOnlyInline):
    model = OpeningHours


class ClosureInline(ViewOnlyInline):
    model = Closure
    fields = ["reason", "local_starts", "local_ends", "repeats_yearly"]
    readonly_fields = fields

    @admin.display(description="starts (local time)")
    def local_starts(self, obj):
        return _local(obj.starts_at, obj.location)

    @admin.display(description="ends (local time)")
    def local_ends(self, obj):
        return _local(obj.ends_at, obj.location)


class RoomInline(ViewOnlyInline):
    model = Room


@admin.register(Location)
class LocationAdmin(ViewOnlyResourceAdmin):
    list_display = ["name", "time_zone", "phone", "late_cancel_notice_hours", "slot_minutes", "is_active"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["name", "address"]
    inlines = [OpeningHoursInline, RoomInline, ClosureInline]


@admin.register(OpeningHours)
class OpeningHoursAdmin(ViewOnlyResourceAdmin):
    list_display = ["location", "weekday", "opens", "closes"]
    list_filter = ["location", "weekday"]


@admin.register(Closure)
class ClosureAdmin(ViewOnlyResourceAdmin):
    list_display = ["location", "reason", "local_starts", "local_ends", "repeats_yearly"]
    list_filter = ["location"]
    list_select_related = ["location"]
    search_fields = ["reason"]
    date_hierarchy = "starts_at"

    @admin.display(description="starts (local time)", ordering="starts_at")
    def local_starts(self, obj):
        return _local(obj.starts_at, obj.location)

    @admin.display(description="ends (local time)", ordering="ends_at")
    def local_ends(self, obj):
        return _local(obj.ends_at, obj.location)


class WorkingHoursInline(ViewOnlyInline):
    model = WorkingHours


class TimeOffInline(ViewOnlyInline):
    model = TimeOff
    fields = ["reason", "utc_starts", "utc_ends"]
    readonly_fields = fields

    @admin.display(description="starts (UTC)")
    def utc_starts(self, obj):
        return local_label(obj.starts_at, "UTC")

    @admin.display(description="ends (UTC)")
    def utc_ends(self, obj):
        return local_label(obj.ends_at, "UTC")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """A provider's login and name are set here; their hours and time off on the set-up pages."""

    list_display = ["display_name", "title", "user", "is_active"]
    list_filter = ["is_active", "working_hours__location"]
    search_fields = ["display_name", "title", "user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [WorkingHoursInline, TimeOffInline]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(WorkingHours)
class WorkingHoursAdmin(ViewOnlyResourceAdmin):
    list_display = ["provider", "location", "weekday", "starts", "ends"]
    list_filter = ["location", "weekday", "provider"]
    list_select_related = ["provider", "location"]


@admin.register(TimeOff)
class TimeOffAdmin(ViewOnlyResourceAdmin):
    list_display = ["provider", "reason", "utc_starts", "utc_ends"]
    list_filter = ["provider"]
    list_select_related = ["provider"]
    date_hierarchy = "starts_at"

    # Time off belongs to a provider, not a location: read here in UTC, named as such;
    # the set-up page shows it in the zone of the location chosen.
    @admin.display(description="starts (UTC)", ordering="starts_at")
    def utc_starts(self, obj):
        return local_label(obj.starts_at, "UTC")

    @admin.display(description="ends (UTC)", ordering="ends_at")
    def utc_ends(self, obj):
        return local_label(obj.ends_at, "UTC")


@admin.register(Room)
class RoomAdmin(ViewOnlyResourceAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["location", "is_active"]
    search_fields = ["name"]
    list_select_related = ["location"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    """Read-only: the trail is written by the services, never edited by hand. Filter by
    action, kind of record, date and who; search by login, record or address; "Download
    as CSV" exports the entries chosen (every cell safe to open in a spreadsheet)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "address"]
    list_filter = ["action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_id", "actor_label", "actor__username", "address"]
    date_hierarchy = "at"
    actions = ["download_csv"]

    @admin.action(description="Download the chosen entries as CSV")
    def download_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M}.csv"'
        rows = (
            [entry.at.isoformat(), entry.actor_label, entry.action, entry.object_type, entry.object_id,
             entry.address or "", json.dumps(entry.changes, sort_keys=True)]
            for entry in queryset.order_by("at", "pk")
        )
        csv_write(response, ["at", "who", "action", "object_type", "object_id", "address", "changes"], rows)
        return response


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ViewOnlyAdmin):
    """Read-only: the answers kept for retried API requests."""

    list_display = ["created_at", "user", "key", "endpoint", "response_status"]
    list_filter = ["response_status"]
    search_fields = ["key", "endpoint", "user__username"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # A kept answer may be cleared: the next retry is then treated as a new request.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)
