from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from scheduling.api.calendar_feeds import feed as calendar_feed
from scheduling.pages import patient_home
from scheduling.pages.consent import consent_page
from scheduling.pages.intake import intake_page
from scheduling.pages.visit_link import patient_link_page

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="frontdesk:schedule", permanent=False)),
    path("health/", views.health, name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("frontdesk/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("reminders/", include("scheduling.pages.urls")),
    # Email providers' delivery webhooks: /anymail/<provider>/tracking/ (django-anymail).
    path("anymail/", include("anymail.urls")),
    # The front-desk pages and the clinic admin's dashboard
    path("", include("frontdesk.urls")),
    # The API, its schema and interactive docs
    path("api/v1/", include("clinic.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL, so the docs need no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
    # Patients' signed links and calendar feeds (no login: the secret is in the address)
    path("visit/<int:appointment_id>/<str:token>/", patient_link_page, name="patient-link"),
    path("calendar/<str:owner>/<str:token>.ics", calendar_feed, name="calendar-feed"),
    path("intake/<str:token>/", intake_page, name="intake"),
    path("consent/<str:token>/", consent_page, name="consent"),
    # The clinic's public booking page: a consultation, confirmed by a code sent to the patient
    path("book/<slug:slug>/", include("scheduling.pages.online_booking_urls")),
    # The patient's own page, and "send me my link"
    path("my/<str:token>/", patient_home.home_page, name="patient-home"),
    path("my/<str:token>/move/<str:visit>/", patient_home.move_page, name="patient-home-move"),
    path("my/<str:token>/maintenance/", patient_home.maintenance_page, name="patient-home-maintenance"),
    path("my-link/", patient_home.my_link_page, name="patient-my-link"),
    # Last: any other address gets the product's 404 page, in development too (where
    # Django would otherwise show its debug page); a missing slash is still added first.
    re_path(r"^.*$", views.not_found_page),
]

handler403 = "clinic.api.errors.permission_denied"
handler404 = "clinic.api.errors.not_found"
handler500 = "clinic.api.errors.server_error"
