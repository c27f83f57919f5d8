"""A series from its timeline: pause, resume, cancel the rest, and maintenance booked at
any time after the series, through the same services as the API."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.models import AuditEntry
from scheduling.models import Appointment, TreatmentSeries

pytestmark = pytest.mark.django_db


def _patient_page(client, series) -> str:
    return client.get(reverse("frontdesk:patient", args=[series.patient_id])).content.decode()


def test_the_desk_pauses_and_resumes_a_series_from_its_timeline(world, desk):
    series = world["series"]
    assert "Pause the series" in _patient_page(desk, series)
    response = desk.post(reverse("frontdesk:series-pause", args=[series.pk]), {"reason": "Travelling."}, follow=True)
    assert "The series is paused" in response.content.decode()
    series.refresh_from_db()
    assert series.status == "paused" and series.status_reason == "Travelling."
    assert "Resume the series" in _patient_page(desk, series)
    desk.post(reverse("frontdesk:series-resume", args=[series.pk]))
    series.refresh_from_db()
    assert series.status == "active"
    assert AuditEntry.objects.filter(object_type="treatmentseries", object_id=str(series.pk),
                                     action__in=["paused", "resumed"]).count() == 2


def test_a_pause_needs_a_reason_in_words(world, desk):
    series = world["series"]
    response = desk.post(reverse("frontdesk:series-pause", args=[series.pk]), {"reason": ""}, follow=True)
    assert "Give a reason for the pause." in response.content.decode()
    series.refresh_from_db()
    assert series.status == "active"


def test_the_desk_cancels_the_rest_of_a_series(world, desk):
    series = world["series"]
    desk.post(reverse("frontdesk:series-cancel-rest", args=[series.pk]), {"reason": "Moved away."})
    series.refresh_from_db()
    ahead = series.appointments.filter(starts_at__gt=series.created_at)
    assert series.status == "cancelled"
    assert not ahead.filter(status__in=Appointment.OPEN_STATUSES).exists()


def test_only_a_provider_releases_a_series_on_hold(world, desk, doctor):
    series = world["series"]
    TreatmentSeries.objects.filter(pk=series.pk).update(status="on_hold", status_reason="Hyperpigmentation.")
    response = desk.post(reverse("frontdesk:series-resume", args=[series.pk]), follow=True)
    assert "released by a provider after review" in response.content.decode()
    assert "Release the series after review" in _patient_page(doctor, series)
    doctor.post(reverse("frontdesk:series-resume", args=[series.pk]))
    series.refresh_from_db()
    assert series.status == "active"


def test_maintenance_is_proposed_and_booked_from_the_timeline_long_after_the_series(world, desk):
    series = world["series"]
    last = series.appointments.filter(kind="session").order_by("-starts_at").first()
    TreatmentSeries.objects.filter(pk=series.pk).update(status="completed")
    world["clock"].move_to(last.starts_at + timedelta(days=200))
    assert "Book a maintenance visit" in _patient_page(desk, series)
    page = desk.get(reverse("frontdesk:series-maintenance", args=[series.pk])).content.decode()
    assert "Book this time" in page
    token = page.split('name="proposal" value="')[1].split('"')[0]
    response = desk.post(reverse("frontdesk:series-maintenance", args=[series.pk]), {"proposal": token}, follow=True)
    assert "Maintenance visit booked on" in response.content.decode()
    visit = series.appointments.get(kind="maintenance")
    assert visit.starts_at > last.starts_at + timedelta(days=200)
