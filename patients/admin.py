"""The patients admin. Patients and screening rules are saved and deleted through
patients.services, so every change made here is audited like one made at the front
desk; consultations are written by the booking and assessment services and are shown
view-only."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from clinic.admin import ViewOnlyAdmin, ViewOnlyInline
from clinic.errors import DomainError

from .intake_setup import (
    intake_question_create,
    intake_question_delete,
    intake_question_update,
    intake_suggestion_create,
    intake_suggestion_delete,
    intake_suggestion_update,
)
from .models import Consultation, IntakeQuestion, IntakeSuggestion, Patient, RecommendedArea, ScreeningRule
from .services import (
    patient_create,
    patient_delete,
    patient_update,
    screening_rule_create,
    screening_rule_delete,
    screening_rule_update,
)


class ServiceSaveMixin:
    """Create, change and delete through a service. The form's own validation runs first;
    a rule only the service knows (a date of birth in the future, say) comes back as a
    message on the same page, with nothing saved, rather than as a server error."""

    def create_with_service(self, request, fields: dict):
        raise NotImplementedError

    def update_with_service(self, request, obj, changes: dict) -> None:
        raise NotImplementedError

    def delete_with_service(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data if name in form.base_fields}
            if changes:
                self.update_with_service(request, obj, changes)
            return
        created = self.create_with_service(request, {name: getattr(obj, name) for name in form.base_fields})
        # The admin goes on with `obj` (its log entry, the redirect): make it the saved row.
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        self.delete_with_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_with_service(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:  # the view's transaction has rolled back: nothing was saved
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, f"Not deleted: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ConsultationInline(ViewOnlyInline):
    model = Consultation
    fk_name = "patient"
    fields = ["created_at", "provider", "outcome", "deferred_until", "recommended_sessions"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Patient)
class PatientAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = [
        "last_name", "first_name", "date_of_birth", "phone", "email", "preferred_channel", "fitzpatrick_type",
    ]
    list_filter = ["preferred_channel", "consent_email", "consent_sms", "fitzpatrick_type"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "date_of_birth"]}),
        ("Contact and consent", {"fields": [
            "email", "phone", "preferred_channel", "consent_email", "consent_sms", "time_zone",
        ]}),
        ("Skin", {"fields": ["fitzpatrick_type", "skin_concerns"]}),
    ]
    inlines = [ConsultationInline]

    def create_with_service(self, request, fields):
        return patient_create(created_by=request.user, **fields)

    def update_with_service(self, request, obj, changes):
        patient_update(patient=obj, updated_by=request.user, **changes)

    def delete_with_service(self, request, obj):
        patient_delete(patient=obj, deleted_by=request.user)


class RecommendedAreaInline(ViewOnlyInline):
    model = RecommendedArea


@admin.register(Consultation)
class ConsultationAdmin(ViewOnlyAdmin):
    """View-only: a consultation is opened by its booking and filled in by the provider's
    assessment (screening, outcome, plan), both services that audit the change."""

    list_display = [
        "patient", "provider", "outcome", "assessed_at", "deferred_until", "recommended_sessions",
        "hyperpigmentation_caution",
    ]
    list_filter = ["outcome", "hyperpigmentation_caution", "provider"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__email"]
    list_select_related = ["patient", "provider"]
    date_hierarchy = "created_at"
    inlines = [RecommendedAreaInline]


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """The clinic's screening rules: what a finding at a consultation means for a series."""

    list_display = ["condition", "label", "effect", "block_outcome", "lookback_days", "defer_days", "is_active"]
    list_filter = ["effect", "block_outcome", "is_active"]
    search_fields = ["condition", "label"]

    def create_with_service(self, request, fields):
        return screening_rule_create(created_by=request.user, **fields)

    def update_with_service(self, request, obj, changes):
        screening_rule_update(rule=obj, updated_by=request.user, **changes)

    def delete_with_service(self, request, obj):
        screening_rule_delete(rule=obj, deleted_by=request.user)


@admin.register(IntakeQuestion)
class IntakeQuestionAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """The health questions patients answer before a consultation; what each answer
    suggests is edited under "Health question suggestions"."""

    list_display = ["order", "text", "answer_type", "is_active"]
    list_display_links = ["text"]
    list_filter = ["answer_type", "is_active"]
    search_fields = ["key", "text"]

    def create_with_service(self, request, fields):
        return intake_question_create(created_by=request.user, **fields)

    def update_with_service(self, request, obj, changes):
        intake_question_update(question=obj, updated_by=request.user, **changes)

    def delete_with_service(self, request, obj):
        intake_question_delete(question=obj, deleted_by=request.user)


@admin.register(IntakeSuggestion)
class IntakeSuggestionAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """Which answer to a health question suggests which screening rule to the provider."""

    list_display = ["question", "answer", "rule"]
    list_select_related = ["question", "rule"]
    search_fields = ["question__text", "rule__label"]

    def create_with_service(self, request, fields):
        return intake_suggestion_create(created_by=request.user, **fields)

    def update_with_service(self, request, obj, changes):
        intake_suggestion_update(suggestion=obj, updated_by=request.user, **changes)

    def delete_with_service(self, request, obj):
        intake_suggestion_delete(suggestion=obj, deleted_by=request.user)
