"""Everything under /api/v1/."""

from django.urls import path

from patients.api import views as patients
from scheduling.api import calendar_feeds, patient_links
from scheduling.api import views as scheduling

from . import views

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="api-token"),
    path("auth/token/revoke/", views.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("locations/", views.LocationListApi.as_view(), name="api-locations"),
    path("providers/", views.ProviderListApi.as_view(), name="api-providers"),
    path(
        "providers/<int:provider_id>/calendar-feed/",
        calendar_feeds.ProviderFeedApi.as_view(),
        name="api-provider-feed",
    ),
    path(
        "providers/<int:provider_id>/calendar-feed/rotate/",
        calendar_feeds.ProviderFeedRotateApi.as_view(),
        name="api-provider-feed-rotate",
    ),
    path("audit/", views.AuditListApi.as_view(), name="api-audit"),
    # Patients and consultations
    path("patients/", patients.PatientsApi.as_view(), name="api-patients"),
    path("patients/<int:patient_id>/", patients.PatientDetailApi.as_view(), name="api-patient"),
    path("patients/<int:patient_id>/calendar-feed/", calendar_feeds.PatientFeedApi.as_view(), name="api-patient-feed"),
    path(
        "patients/<int:patient_id>/calendar-feed/rotate/",
        calendar_feeds.PatientFeedRotateApi.as_view(),
        name="api-patient-feed-rotate",
    ),
    path("consultations/", patients.ConsultationsApi.as_view(), name="api-consultations"),
    path("consultations/<int:consultation_id>/", patients.ConsultationDetailApi.as_view(), name="api-consultation"),
    path("consultations/<int:consultation_id>/assessment/", patients.AssessmentApi.as_view(), name="api-assessment"),
    path(
        "consultations/<int:consultation_id>/acknowledge-caution/",
        patients.AcknowledgeCautionApi.as_view(),
        name="api-acknowledge-caution",
    ),
    path("screening-rules/", patients.ScreeningRulesApi.as_view(), name="api-screening-rules"),
    path("screening-rules/<int:rule_id>/", patients.ScreeningRuleDetailApi.as_view(), name="api-screening-rule"),
    # Availability and series
    path("availability/", scheduling.AvailabilityApi.as_view(), name="api-availability"),
    path("series/", scheduling.SeriesListApi.as_view(), name="api-series-list"),
    path("series/proposals/", scheduling.ProposalApi.as_view(), name="api-series-proposals"),
    path("series/holds/", scheduling.HoldCreateApi.as_view(), name="api-holds"),
    path("series/holds/<uuid:hold_id>/", scheduling.HoldApi.as_view(), name="api-hold"),
    path("series/holds/<uuid:hold_id>/confirm/", scheduling.HoldConfirmApi.as_view(), name="api-hold-confirm"),
    path("series/<int:series_id>/", scheduling.SeriesDetailApi.as_view(), name="api-series"),
    path("series/<int:series_id>/pause/", scheduling.SeriesPauseApi.as_view(), name="api-series-pause"),
    path("series/<int:series_id>/resume/", scheduling.SeriesResumeApi.as_view(), name="api-series-resume"),
    path(
        "series/<int:series_id>/cancel-remainder/",
        scheduling.SeriesCancelRemainderApi.as_view(),
        name="api-series-cancel-remainder",
    ),
    path(
        "series/<int:series_id>/maintenance/proposals/",
        scheduling.MaintenanceProposalApi.as_view(),
        name="api-maintenance-proposals",
    ),
    path("series/<int:series_id>/maintenance/", scheduling.MaintenanceBookApi.as_view(), name="api-maintenance-book"),
    # Appointments
    path("appointments/", scheduling.AppointmentListApi.as_view(), name="api-appointments"),
    path("appointments/<int:appointment_id>/", scheduling.AppointmentDetailApi.as_view(), name="api-appointment"),
    path(
        "appointments/<int:appointment_id>/reschedule/preview/",
        scheduling.ReschedulePreviewApi.as_view(),
        name="api-reschedule-preview",
    ),
    path("appointments/<int:appointment_id>/reschedule/", scheduling.RescheduleApi.as_view(), name="api-reschedule"),
    path("appointments/<int:appointment_id>/cancel/", scheduling.CancelApi.as_view(), name="api-cancel"),
    path("appointments/<int:appointment_id>/check-in/", scheduling.CheckInApi.as_view(), name="api-check-in"),
    path("appointments/<int:appointment_id>/complete/", scheduling.CompleteApi.as_view(), name="api-complete"),
    path("appointments/<int:appointment_id>/no-show/", scheduling.NoShowApi.as_view(), name="api-no-show"),
    # Patients' own links (no login)
    path(
        "patient-links/<int:appointment_id>/<str:token>/",
        patient_links.PatientLinkApi.as_view(),
        name="api-patient-link",
    ),
    path(
        "patient-links/<int:appointment_id>/<str:token>/confirm/",
        patient_links.PatientLinkConfirmApi.as_view(),
        name="api-patient-link-confirm",
    ),
    path(
        "patient-links/<int:appointment_id>/<str:token>/cancel/",
        patient_links.PatientLinkCancelApi.as_view(),
        name="api-patient-link-cancel",
    ),
]
