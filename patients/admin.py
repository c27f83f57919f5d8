from django.contrib import admin

from .models import Consultation, Patient, RecommendedArea, ScreeningRule


class ConsultationInline(admin.TabularInline):
    model = Consultation
    fk_name = "patient"
    fields = ["created_at", "provider", "outcome", "deferred_until", "recommended_sessions"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "phone", "email", "preferred_channel", "fitzpatrick_type"]
    list_filter = ["preferred_channel", "consent_email", "consent_sms", "fitzpatrick_type"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "date_of_birth"]}),
        ("Contact and consent", {"fields": ["email", "phone", "preferred_channel", "consent_email", "consent_sms", "time_zone"]}),
        ("Skin", {"fields": ["fitzpatrick_type", "skin_concerns"]}),
    ]
    inlines = [ConsultationInline]


class RecommendedAreaInline(admin.TabularInline):
    model = RecommendedArea
    extra = 0


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["patient", "provider", "outcome", "assessed_at", "deferred_until", "recommended_sessions", "hyperpigmentation_caution"]
    list_filter = ["outcome", "hyperpigmentation_caution", "provider"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__email"]
    list_select_related = ["patient", "provider"]
    autocomplete_fields = ["patient", "provider"]
    date_hierarchy = "created_at"
    inlines = [RecommendedAreaInline]


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(admin.ModelAdmin):
    """The clinic's screening rules: what a finding at a consultation means for a series."""

    list_display = ["condition", "label", "effect", "block_outcome", "lookback_days", "defer_days", "is_active"]
    list_filter = ["effect", "block_outcome", "is_active"]
    search_fields = ["condition", "label"]
