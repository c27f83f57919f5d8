"""The patient's own page: its links (expiry, revocation, single purpose, other patients),
what it shows, and moving a session with the later ones following it."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import override_settings

from clinic.models import AuditEntry
from scheduling.models import Appointment, Reminder
from scheduling.patient_home_links import patient_home_url, visit_token
from scheduling.patient_links import patient_link_token, patient_link_url
from scheduling.services.patient_moves import appointment_move_by_patient, move_options, move_preview
from tests import factories
from tests.builders import at, booked_series, eligible_consultation, sessions

pytestmark = pytest.mark.django_db


def _session(series, number):
    return series.appointments.get(kind="session", session_number=number)


def test_the_page_shows_visits_plan_and_windows_but_no_clinical_notes(client, world):
    patient = world["patient"]
    page = client.get(patient_home_url(patient))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Hello {patient.first_name}" in text
    assert "Treatment session 2 of 3" in text and "Wednesday 31 March 2027 at 09:00 BST" in text
    # Session 2's window: 4 to 6 weeks after session 1 (Wednesday 3 March).
    assert "between Wednesday 31 March 2027 and Wednesday 14 April 2027" in text
    assert "Europe/London time" in text
    assert "Fine lines around the eyes" not in text, "the consultation's clinical notes never reach the page"
    assert "Riverside Clinic Marylebone" in text, "the clinic's branding"
    assert "Before your visit" in text


def test_an_altered_expired_or_retired_link_shows_nothing(client, world):
    patient = world["patient"]
    url = patient_home_url(patient)
    altered = client.get(url[:-3] + "xx/")
    assert altered.status_code == 403 and patient.first_name not in altered.content.decode()
    with time_machine.travel(at(2, 11) + timedelta(days=31), tick=False):
        expired = client.get(url)
    assert expired.status_code == 410 and patient.first_name not in expired.content.decode()
    patient.link_version += 1
    patient.save(update_fields=["link_version"])
    retired = client.get(url)
    assert retired.status_code == 410 and "newer one" in retired.content.decode()
    assert client.get(patient_home_url(patient)).status_code == 200


def test_links_are_single_purpose(client, world):
    visit = _session(world["series"], 2)
    # A reminder's visit link does not open the page, and a page link does not open a visit.
    assert client.get(f"/my/{patient_link_token(visit)}/").status_code == 403
    home_token = patient_home_url(world["patient"]).split("/")[2]
    assert client.get(f"/visit/{visit.pk}/{home_token}/").status_code == 403
    # The visit link still works as it did.
    assert client.get(patient_link_url(visit)).status_code == 200


def test_no_token_opens_another_patients_visit(client, world):
    mine = world["patient"]
    other_visit = world["pending_visit"]
    other = other_visit.patient
    other.first_name, other.last_name = "Xanthe", "Quillfeather"
    other.save(update_fields=["first_name", "last_name"])
    home = patient_home_url(mine)
    # Another patient's visit token, valid in itself, on my page: refused, nothing shown.
    response = client.get(f"{home}move/{visit_token(other_visit)}/")
    assert response.status_code == 403
    assert other.first_name not in response.content.decode()
    # A visit token forged with another visit's id does not verify.
    forged = signing.dumps({"a": other_visit.pk, "p": mine.pk, "s": 0}, salt="wrong")
    assert client.get(f"{home}move/{forged}/").status_code == 403
    # Cancelling someone else's visit from my page changes nothing.
    response = client.post(home, {"action": "cancel", "visit": visit_token(other_visit)})
    assert response.status_code == 403
    other_visit.refresh_from_db()
    assert other_visit.status == "booked"
    # My page never lists the other patient.
    assert other.last_name not in client.get(home).content.decode()


def test_a_visit_link_on_the_page_dies_when_the_visit_moves(client, world):
    visit = _session(world["series"], 2)
    token = visit_token(visit)
    home = patient_home_url(world["patient"])
    assert client.get(f"{home}move/{token}/").status_code == 200
    option = move_options(appointment=visit)[0]
    appointment_move_by_patient(patient=world["patient"], appointment=visit, new_start=option.starts_at,
                                expected=option.fingerprint, provider_id=option.provider.pk)
    assert client.get(f"{home}move/{token}/").status_code == 410


def test_moving_session_two_late_in_its_window_moves_session_three_too(world):
    series, patient = world["series"], world["patient"]
    two, three = _session(series, 2), _session(series, 3)
    old_three = three.starts_at
    # She has had the series' confirmation, so the move is news to her.
    Reminder.objects.filter(patient=patient).update(status="sent", sent_at=at(2, 11))
    options = move_options(appointment=two)
    assert options, "free times inside the window are offered"
    window_end = at(14, 9, month=4)
    for option in options:
        assert at(31, 9) - timedelta(days=1) <= option.starts_at <= window_end
    latest = max(options, key=lambda o: o.starts_at)
    assert latest.starts_at > at(7, 9, month=4)
    follows = [c for c in latest.preview.changes if c.appointment_id == three.pk]
    assert follows, "session 3 follows session 2 when it would fall short of its interval"
    moved = appointment_move_by_patient(patient=patient, appointment=two, new_start=latest.starts_at,
                                        expected=latest.fingerprint, provider_id=latest.provider.pk)
    assert {v.pk for v in moved} >= {two.pk, three.pk}
    two.refresh_from_db()
    three.refresh_from_db()
    assert two.starts_at == latest.starts_at
    assert three.starts_at > old_three
    assert three.starts_at - two.starts_at >= timedelta(days=28)
    assert three.starts_at - two.starts_at <= timedelta(days=42)
    # One message tells the patient of every visit that moved.
    assert Reminder.objects.filter(patient=patient, kind="reschedule").count() == 1
    entry = AuditEntry.objects.get(action="patient_moved_visit")
    assert entry.actor_label == "patient" and entry.changes["patient"] == patient.pk
    assert AuditEntry.objects.filter(action="rescheduled", actor_label="patient", object_id=str(two.pk)).exists()


def test_a_move_not_as_shown_is_refused_and_changes_nothing(world):
    two = _session(world["series"], 2)
    option = move_options(appointment=two)[-1]
    before = list(Appointment.objects.order_by("pk").values_list("pk", "starts_at"))
    with pytest.raises(Exception, match="changed since you looked"):
        appointment_move_by_patient(patient=world["patient"], appointment=two, new_start=option.starts_at,
                                    expected=[[two.pk, 0]])
    assert list(Appointment.objects.order_by("pk").values_list("pk", "starts_at")) == before


def test_a_time_outside_the_window_is_refused(world):
    two = _session(world["series"], 2)
    with pytest.raises(Exception, match="not one we can offer"):
        move_preview(appointment=two, new_start=at(20, 9, month=4))


def test_a_visit_inside_the_notice_period_cannot_be_moved_online(client, world):
    one = _session(world["series"], 1)  # 09:00 tomorrow: inside the 24-hour notice period
    home = patient_home_url(world["patient"])
    response = client.get(f"{home}move/{visit_token(one)}/")
    text = response.content.decode()
    assert "inside the clinic&#x27;s notice period" in text and "+44 20 7946 0000" in text
    assert move_options(appointment=one) == []
    with pytest.raises(Exception, match="notice period"):
        move_preview(appointment=one, new_start=at(5, 9))


def test_the_move_page_previews_then_confirms(client, world):
    two, three = _session(world["series"], 2), _session(world["series"], 3)
    home = patient_home_url(world["patient"])
    url = f"{home}move/{visit_token(two)}/"
    page = client.get(url)
    assert page.status_code == 200
    latest = max(page.context["options"], key=lambda o: o["epoch"])
    preview = client.post(url, {"start": latest["epoch"]})
    assert preview.status_code == 200
    assert "Treatment session 3" in preview.content.decode(), "the session that follows is shown before saving"
    three.refresh_from_db()
    assert three.starts_at == at(28, 9, month=4), "nothing saved by the preview"
    done = client.post(url, {"start": latest["epoch"], "plan": preview.context["plan"], "confirm": "1"})
    assert done.status_code == 302
    two.refresh_from_db()
    assert int(two.starts_at.timestamp()) == latest["epoch"]
    three.refresh_from_db()
    bad = client.post(f"{home}move/{visit_token(three)}/", {"start": "soon"})
    assert bad.status_code == 400 and "choose one of the times" in bad.content.decode()


def test_cancelling_from_the_page_flags_a_late_cancellation(client, world):
    one = _session(world["series"], 1)
    home = patient_home_url(world["patient"])
    response = client.post(home, {"action": "cancel", "visit": visit_token(one), "reason": "Unwell"})
    assert response.status_code == 200 and "late cancellation" in response.content.decode()
    one.refresh_from_db()
    assert one.status == "cancelled" and one.late_cancellation
    assert AuditEntry.objects.filter(action="patient_cancelled_visit", actor_label="patient").exists()
    # The same button again: the link named a visit that has changed.
    again = client.post(home, {"action": "cancel", "visit": visit_token(one)})
    assert again.status_code in (409, 410)


@override_settings(PATIENT_HOME_MAX_AGE_DAYS=30)
def test_every_message_links_to_the_patients_page(world):
    from scheduling.reminders.rendering import message_render_for_staff

    reminder = Reminder.objects.filter(patient=world["patient"], kind="series_confirmation").first()
    rendered = message_render_for_staff(reminder)
    assert "/my/" in rendered.text and "/my/" in rendered.html


def test_two_patients_pages_never_mix(client, clinic):
    with time_machine.travel(at(1, 9), tick=False):
        first = eligible_consultation(clinic=clinic, when=at(2, 10))
        second = eligible_consultation(clinic=clinic, when=at(2, 12), patient=factories.PatientFactory(
            first_name="Zelda", last_name="Quinn"))
    with time_machine.travel(at(2, 14), tick=False):
        booked_series(clinic=clinic, consultation=first, earliest_start=at(4, 9))
        booked_series(clinic=clinic, consultation=second, earliest_start=at(4, 9))
        mine = client.get(patient_home_url(first.patient)).content.decode()
        assert "Zelda" not in mine and "Quinn" not in mine
        theirs = sessions(second.series.first())
        home = patient_home_url(first.patient)
        for visit in theirs:
            assert client.get(f"{home}move/{visit_token(visit)}/").status_code == 403


def test_a_provider_who_does_not_work_here_is_refused(world):
    two = _session(world["series"], 2)
    stranger = factories.ProviderFactory(location=factories.LocationFactory(name="Elsewhere Clinic"))
    option = move_options(appointment=two)[0]
    with pytest.raises(Exception, match="not one we can offer"):
        move_preview(appointment=two, new_start=option.starts_at, provider_id=stranger.pk)


def test_when_the_own_provider_is_away_another_providers_time_is_offered(world):
    from clinic.models import WorkingHours

    two = _session(world["series"], 2)
    WorkingHours.objects.filter(provider=world["provider"]).exclude(weekday=two.starts_at.weekday()).delete()
    options = move_options(appointment=two)
    assert any(o.provider == world["other_provider"] for o in options)
