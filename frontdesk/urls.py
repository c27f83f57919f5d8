from django.urls import path

from .views import auth, consultations, dashboard, patients, schedule, series, series_actions, visits, waitlist

app_name = "frontdesk"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("schedule/", schedule.schedule, name="schedule"),
    path("patients/", patients.patient_search, name="patients"),
    path("patients/search.json", patients.patient_search_json, name="patient-search-json"),
    path("patients/new/", patients.patient_new, name="patient-new"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient"),
    path("patients/<int:patient_id>/edit/", patients.patient_edit, name="patient-edit"),
    path("patients/<int:patient_id>/send-link/", patients.patient_send_link, name="patient-send-link"),
    path("patients/<int:patient_id>/consultations/new/", patients.consultation_new, name="consultation-new"),
    path("patients/<int:patient_id>/waitlist/new/", patients.waitlist_new, name="waitlist-new"),
    path("consultations/<int:consultation_id>/assess/", consultations.assess, name="assess"),
    path("consultations/<int:consultation_id>/acknowledge-caution/", consultations.acknowledge_caution,
         name="acknowledge-caution"),
    path("consultations/<int:consultation_id>/plan/", series.plan, name="plan"),
    path("consultations/<int:consultation_id>/hold/", series.hold, name="hold-create"),
    path("holds/<uuid:hold_id>/", series.hold_detail, name="hold"),
    path("holds/<uuid:hold_id>/confirm/", series.hold_confirm, name="hold-confirm"),
    path("holds/<uuid:hold_id>/release/", series.hold_release, name="hold-release"),
    path("series/<int:series_id>/pause/", series_actions.series_pause, name="series-pause"),
    path("series/<int:series_id>/resume/", series_actions.series_resume, name="series-resume"),
    path("series/<int:series_id>/cancel-rest/", series_actions.series_cancel_rest, name="series-cancel-rest"),
    path("series/<int:series_id>/maintenance/", series_actions.series_maintenance, name="series-maintenance"),
    path("visits/<int:appointment_id>/", visits.visit_detail, name="visit"),
    path("visits/<int:appointment_id>/check-in/", visits.check_in, name="check-in"),
    path("visits/<int:appointment_id>/no-show/", visits.no_show, name="no-show"),
    path("visits/<int:appointment_id>/cancel/", visits.cancel, name="cancel"),
    path("visits/<int:appointment_id>/complete/", visits.complete, name="complete"),
    path("visits/<int:appointment_id>/amend/", visits.amend, name="amend"),
    path("visits/<int:appointment_id>/reschedule/", visits.reschedule, name="reschedule"),
    path("waitlist/", waitlist.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/book/", waitlist.waitlist_book, name="waitlist-book"),
    path("waitlist/<int:entry_id>/remove/", waitlist.waitlist_remove, name="waitlist-remove"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/<str:table>.csv", dashboard.dashboard_csv, name="dashboard-csv"),
]
