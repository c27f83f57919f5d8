"""The admin is not a back door: visits and series are shown there, and changed only by
admin actions that call the same services as the front desk (audited, reminders kept
in line)."""

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from clinic.models import AuditEntry
from scheduling.models import Appointment, Reminder, TreatmentSeries
from scheduling.services import consultation_book
from tests import factories
from tests.conftest import london

pytestmark = pytest.mark.django_db

NOW = london(2027, 3, 1, 9)
VISIT = london(2027, 3, 10, 10)
APPOINTMENTS = reverse("admin:scheduling_appointment_changelist")
SERIES = reverse("admin:scheduling_treatmentseries_changelist")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visit(location, provider, room, patient, admin_user):
    """A consultation booked at the front desk: its confirmation and reminders are pending."""
    return consultation_book(
        patient=patient, location=location, provider=provider, room=room, starts_at=VISIT, booked_by=admin_user
    )


@pytest.fixture
def series_without_visits(location, patient):
    """A series on record whose visits do not matter here."""
    return factories.SeriesFactory(patient=patient, consultation__patient=patient, location=location)


def messages_of(response) -> list[str]:
    """The messages on the page the response ended on."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def asked_for_a_reason(response) -> bool:
    return response.status_code == 200 and not response.redirect_chain and b'name="reason"' in response.content


def back_on_the_list(response) -> bool:
    return response.status_code == 200 and [code for _, code in response.redirect_chain] == [302]


def audit_actions(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


def run_action(client, changelist: str, action: str, rows, **fields):
    """Post an action as the change list does (or its confirmation page, with `post`)."""
    data = {"action": action, "_selected_action": [row.pk for row in rows], **fields}
    return client.post(changelist, data, follow=True)


# --- The change form shows, it does not change ----------------------------------------
def test_appointment_page_shows_the_visit_without_inputs_for_what_services_own(admin_client, visit):
    page = admin_client.get(reverse("admin:scheduling_appointment_change", args=[visit.pk]))
    assert page.status_code == 200
    for field in ("status", "starts_at_0", "provider", "room", "patient", "notes", "cancel_reason"):
        assert f'name="{field}"'.encode() not in page.content
    assert b'name="_save"' not in page.content


def test_a_post_to_the_appointment_change_form_changes_nothing(admin_client, visit, location):
    other_provider = factories.ProviderFactory(location=location)
    url = reverse("admin:scheduling_appointment_change", args=[visit.pk])
    response = admin_client.post(
        url,
        {
            "status": "completed",
            "starts_at_0": "2027-03-11",
            "starts_at_1": "15:00:00",
            "provider": other_provider.pk,
            "cancel_reason": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 403
    visit.refresh_from_db()
    assert (visit.status, visit.starts_at, visit.provider_id) == ("booked", VISIT, visit.provider.pk)
    assert audit_actions(visit) == ["booked"]


def test_appointments_cannot_be_added_or_deleted_in_the_admin(admin_client, visit):
    assert admin_client.get(reverse("admin:scheduling_appointment_add")).status_code == 403
    delete = reverse("admin:scheduling_appointment_delete", args=[visit.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Appointment.objects.filter(pk=visit.pk).exists()


def test_a_post_to_the_series_change_form_changes_nothing(admin_client, series_without_visits):
    url = reverse("admin:scheduling_treatmentseries_change", args=[series_without_visits.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"status": "cancelled", "status_reason": "by hand", "session_count": 6})
    assert response.status_code == 403
    series_without_visits.refresh_from_db()
    assert (series_without_visits.status, series_without_visits.status_reason, series_without_visits.session_count) == (
        "active",
        "",
        3,
    )
    assert admin_client.get(reverse("admin:scheduling_treatmentseries_add")).status_code == 403


# --- Cancel, with a reason ------------------------------------------------------------
def test_cancel_action_asks_for_a_reason_first_and_changes_nothing_meanwhile(admin_client, visit):
    page = run_action(admin_client, APPOINTMENTS, "cancel", [visit], index=0)
    assert asked_for_a_reason(page) and b'name="post"' in page.content
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_cancel_action_with_a_reason_cancels_through_the_service(admin_client, admin_user, visit):
    pending = list(Reminder.objects.filter(appointment=visit, status="pending").values_list("pk", flat=True))
    assert pending, "the booking wrote reminders to cancel"

    response = run_action(admin_client, APPOINTMENTS, "cancel", [visit], post="yes", reason="Patient unwell")

    assert back_on_the_list(response)
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason, visit.late_cancellation) == ("cancelled", "Patient unwell", False)
    entry = AuditEntry.objects.get(object_type="appointment", object_id=str(visit.pk), action="cancelled")
    assert entry.actor == admin_user and entry.changes["reason"] == "Patient unwell"
    assert set(Reminder.objects.filter(pk__in=pending).values_list("status", flat=True)) == {"cancelled"}
    [message] = messages_of(response)
    assert message.endswith(": cancelled.")


def test_cancel_action_without_a_reason_changes_nothing_and_says_why(admin_client, visit):
    response = run_action(admin_client, APPOINTMENTS, "cancel", [visit], post="yes", reason="   ")

    assert asked_for_a_reason(response)  # the confirmation page again
    assert messages_of(response) == ["Give a reason; nothing was changed."]
    visit.refresh_from_db()
    assert visit.status == "booked" and visit.cancel_reason == ""
    assert audit_actions(visit) == ["booked"]
    assert not Reminder.objects.filter(appointment=visit, status="cancelled").exists()


def test_cancel_action_reports_each_visit_and_the_services_refusal(admin_client, visit, location, provider, room):
    other = consultation_book(
        patient=factories.PatientFactory(), location=location, provider=provider, room=room,
        starts_at=london(2027, 3, 10, 11),
    )
    run_action(admin_client, APPOINTMENTS, "cancel", [other], post="yes", reason="Double booked")

    response = run_action(admin_client, APPOINTMENTS, "cancel", [visit, other], post="yes", reason="Clinic closed")

    assert back_on_the_list(response)
    outcomes = sorted(messages_of(response))
    assert any(m.endswith(": cancelled.") for m in outcomes)
    assert any(m.endswith("This visit is cancelled, so it cannot be cancelled.") for m in outcomes)
    other.refresh_from_db()
    assert other.cancel_reason == "Double booked"


# --- No-show --------------------------------------------------------------------------
def test_no_show_on_a_future_visit_is_refused_with_the_services_message(admin_client, visit):
    response = run_action(admin_client, APPOINTMENTS, "mark_no_show", [visit], index=0)

    assert back_on_the_list(response)
    [message] = messages_of(response)
    assert message.endswith("A visit can be marked as a no-show only after its start time.")
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_no_show_after_the_start_time_goes_through_the_service(admin_client, admin_user, visit):
    with time_machine.travel(london(2027, 3, 10, 10, 30), tick=False):
        admin_client.force_login(admin_user)  # signed in that morning: an idle session ends after 30 minutes
        response = run_action(admin_client, APPOINTMENTS, "mark_no_show", [visit], index=0)

    assert back_on_the_list(response)
    visit.refresh_from_db()
    assert visit.status == "no_show"
    assert audit_actions(visit) == ["booked", "no_show"]


# --- Pause and resume a series --------------------------------------------------------
def test_pause_then_resume_a_series_through_the_actions(admin_client, admin_user, series_without_visits):
    asked = run_action(admin_client, SERIES, "pause", [series_without_visits], index=0)
    assert asked_for_a_reason(asked)

    paused = run_action(
        admin_client, SERIES, "pause", [series_without_visits], post="yes", reason="Travelling until May"
    )
    assert back_on_the_list(paused)
    series_without_visits.refresh_from_db()
    assert (series_without_visits.status, series_without_visits.status_reason) == ("paused", "Travelling until May")
    assert messages_of(paused) == [f"Series {series_without_visits.pk} for {series_without_visits.patient}: paused."]

    resumed = run_action(admin_client, SERIES, "resume", [series_without_visits], index=0)
    assert back_on_the_list(resumed)
    series_without_visits.refresh_from_db()
    assert (series_without_visits.status, series_without_visits.status_reason) == (TreatmentSeries.Status.ACTIVE, "")
    assert messages_of(resumed) == [f"Series {series_without_visits.pk} for {series_without_visits.patient}: resumed."]

    entries = AuditEntry.objects.filter(
        object_type="treatmentseries", object_id=str(series_without_visits.pk)
    ).order_by("at", "pk")
    assert [(e.action, e.actor) for e in entries] == [("paused", admin_user), ("resumed", admin_user)]


def test_pause_without_a_reason_and_resume_of_an_active_series_are_refused(admin_client, series_without_visits):
    blank = run_action(admin_client, SERIES, "pause", [series_without_visits], post="yes", reason="")
    assert asked_for_a_reason(blank)
    assert messages_of(blank) == ["Give a reason; nothing was changed."]

    refused = run_action(admin_client, SERIES, "resume", [series_without_visits], index=0)
    assert back_on_the_list(refused)
    [message] = messages_of(refused)
    assert message.endswith("This series is active, so there is nothing to resume.")
    series_without_visits.refresh_from_db()
    assert series_without_visits.status == "active"
    assert not AuditEntry.objects.filter(
        object_type="treatmentseries", object_id=str(series_without_visits.pk)
    ).exists()


def test_staff_without_the_change_permission_see_no_actions(client, visit):
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    client.force_login(viewer)

    page = client.get(APPOINTMENTS)
    assert page.status_code == 200 and b'value="cancel"' not in page.content
    response = run_action(client, APPOINTMENTS, "cancel", [visit], post="yes", reason="Patient unwell")
    assert response.status_code == 200 and not response.redirect_chain  # just the list again
    visit.refresh_from_db()
    assert visit.status == "booked"
