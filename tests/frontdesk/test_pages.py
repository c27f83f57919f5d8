"""Every page renders for the roles that may see it, in a bounded number of queries, and
each action goes through the same service the API calls."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from clinic import roles
from clinic.models import AuditEntry
from frontdesk.templatetags.frontdesk import national_phone
from patients.models import Consultation, Patient
from scheduling.models import Appointment, SeriesHold, TreatmentSeries, WaitlistEntry
from tests import factories
from tests.builders import at, signed_in

pytestmark = pytest.mark.django_db


def sessions_of(series):
    return list(series.appointments.filter(kind="session").exclude(status="cancelled").order_by("session_number"))


# --- Rendering and query counts -------------------------------------------------------
@pytest.mark.parametrize("view", ["day", "week"])
@pytest.mark.parametrize("by", ["provider", "room"])
def test_schedule_shows_the_visits_in_columns_in_few_queries(world, desk, django_assert_max_num_queries, view, by):
    # 12, and 3 for what is drawn behind the visits (closures; time off and working hours,
    # or rooms out of service).
    with django_assert_max_num_queries(12 + 3):
        response = desk.get(reverse("frontdesk:schedule"), {"date": "2027-03-04", "view": view, "by": by})
    assert response.status_code == 200
    body = response.content.decode()
    pending = world["pending_visit"]
    assert reverse("frontdesk:visit", args=[pending.pk]) in body
    assert pending.patient.full_name in body
    assert "kind-consultation" in body
    if view == "week":  # one column per day; each visit names its provider or room
        assert ("Dr Asha Patel" if by == "provider" else "Room 1") in body
    elif by == "provider":
        assert "Dr Asha Patel" in body and "Chidi Okafor" in body
    else:
        assert "Room 1" in body


def test_schedule_query_count_does_not_grow_with_visits(world, desk, django_assert_max_num_queries):
    for hour in (12, 13, 14, 15, 16):
        world["clock"].move_to(at(2, 11))
        from tests.builders import consultation_visit

        consultation_visit(clinic=world, when=at(4, hour))
    with django_assert_max_num_queries(12 + 3):
        response = desk.get(reverse("frontdesk:schedule"), {"date": "2027-03-04"})
    assert response.content.decode().count('class="visit ') == 6


def test_todays_line_is_drawn_on_today_only(world, desk):
    today = desk.get(reverse("frontdesk:schedule"), {"date": "2027-03-02"}).content.decode()
    assert 'class="now"' in today
    other = desk.get(reverse("frontdesk:schedule"), {"date": "2027-03-04"}).content.decode()
    assert 'class="now"' not in other


def test_patient_page_shows_contact_consultations_series_timeline_and_reminders(world, desk,
                                                                                django_assert_max_num_queries):
    patient = world["patient"]
    with django_assert_max_num_queries(20):
        response = desk.get(reverse("frontdesk:patient", args=[patient.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert patient.email in body and national_phone(patient.phone) in body
    assert "Eligible" in body
    for number in (1, 2, 3):
        assert f"Session {number}</a>" in body
    assert "Healing check after session 1" in body and "Series review" in body
    assert "Window " in body, "later sessions show the window they must fall in"
    assert "Series booking confirmation" in body, "reminders of the series are listed"
    assert "Fine lines around the eyes" not in body, "the front desk never sees clinical notes"


def test_patient_page_query_count_does_not_grow_with_series(world, desk, django_assert_max_num_queries):
    from tests.builders import booked_series, eligible_consultation

    for day in (3, 4):
        consultation = eligible_consultation(clinic=world, when=at(day, 15), patient=world["patient"])
        world["clock"].move_to(at(day, 16))
        booked_series(clinic=world, consultation=consultation)
    # 16, 3 to restart the session's idle count (the clock moved since sign-in), 1 for the
    # region the desk dials numbers in (frontdesk.phones), and 5 for the health questions
    # and consent (frontdesk.views.consent); none of them grows with the series.
    with django_assert_max_num_queries(16 + 3 + 1 + 5):
        response = desk.get(reverse("frontdesk:patient", args=[world["patient"].pk]))
    assert response.content.decode().count("Series of 3 sessions") == 3


def test_provider_sees_clinical_notes_on_the_patient_page(world, doctor):
    body = doctor.get(reverse("frontdesk:patient", args=[world["patient"].pk])).content.decode()
    assert "Fine lines around the eyes" in body


def test_visit_page_offers_the_actions_that_fit(world, desk, django_assert_max_num_queries):
    second = sessions_of(world["series"])[1]
    with django_assert_max_num_queries(12):
        body = desk.get(reverse("frontdesk:visit", args=[second.pk])).content.decode()
    assert "Reschedule" in body and "Cancel the visit" in body
    assert "Mark as completed" not in body, "only a provider records a session"


# --- Patients -------------------------------------------------------------------------
def test_register_a_patient_then_find_them_as_you_type(clinic, desk):
    response = desk.post(reverse("frontdesk:patient-new"), {
        "first_name": "Amelia", "last_name": "Hart", "date_of_birth": "1988-04-12", "email": "amelia@example.com",
        "phone": "07911 123456", "preferred_channel": "sms", "consent_sms": "on", "skin_concerns": ["acne_scars"]})
    patient = Patient.objects.get(last_name="Hart")
    assert response.status_code == 302 and response["Location"] == reverse("frontdesk:patient", args=[patient.pk])
    assert str(patient.phone) == "+447911123456"
    found = desk.get(reverse("frontdesk:patient-search-json"), {"q": "har"}).json()["results"]
    assert [p["id"] for p in found] == [patient.pk]
    by_phone = desk.get(reverse("frontdesk:patient-search-json"), {"q": "07911123456"}).json()["results"]
    assert [p["id"] for p in by_phone] == [patient.pk]
    page = desk.get(reverse("frontdesk:patients"), {"q": "Hart"}).content.decode()
    assert "Amelia Hart" in page


def test_registering_explains_a_missing_address(clinic, desk):
    response = desk.post(reverse("frontdesk:patient-new"), {
        "first_name": "Amelia", "last_name": "Hart", "date_of_birth": "1988-04-12", "preferred_channel": "email"})
    assert response.status_code == 200
    assert "A patient who prefers email needs an email address." in response.content.decode()
    assert not Patient.objects.exists()


def test_book_a_consultation_from_the_free_times(clinic, desk, desk_user):
    import time_machine

    patient = factories.PatientFactory()
    url = reverse("frontdesk:consultation-new", args=[patient.pk])
    with time_machine.travel(at(1, 9), tick=False):
        listing = desk.get(url, {"location": clinic["location"].pk, "provider": clinic["provider"].pk,
                                 "day": "2027-03-02"})
        body = listing.content.decode()
        slot = f"{clinic['provider'].pk}|{at(2, 10).astimezone(at(2, 10).tzinfo).isoformat()}"
        assert 'value="' + slot + '"' in body
        response = desk.post(url, {"location": clinic["location"].pk, "slot": slot})
    assert response.status_code == 302
    visit = Appointment.objects.get(patient=patient)
    assert visit.kind == "consultation" and visit.starts_at == at(2, 10) and visit.created_by == desk_user
    assert AuditEntry.objects.filter(object_type="appointment", object_id=str(visit.pk), action="booked").exists()


def test_booking_a_taken_time_is_explained(world, desk):
    world["clock"].move_to(at(2, 11))
    patient = factories.PatientFactory()
    slot = f"{world['provider'].pk}|{at(4, 10).isoformat()}"
    response = desk.post(reverse("frontdesk:consultation-new", args=[patient.pk]),
                         {"location": world["location"].pk, "slot": slot})
    assert response.status_code == 200
    assert "cannot see the patient at that time" in response.content.decode()


# --- Assessment -----------------------------------------------------------------------
def test_provider_records_an_eligible_assessment_with_the_screening(world, doctor):
    visit = world["pending_visit"]
    world["clock"].move_to(at(4, 10, 10))
    response = doctor.post(reverse("frontdesk:assess", args=[visit.consultation_id]), {
        "fitzpatrick_type": "2", "concerns": ["acne_scars"], "recommended_sessions": "4", "depth_face": "1.50",
        "clinical_notes": "Rolling scars."})
    assert response.status_code == 302, response.content.decode()[:2000]
    consultation = Consultation.objects.get(pk=visit.consultation_id)
    assert consultation.outcome == "eligible" and consultation.recommended_sessions == 4
    assert [(a.area, str(a.depth_mm)) for a in consultation.recommended_areas.all()] == [("face", "1.50")]


def test_screening_finding_blocks_the_series(world, doctor):
    visit = world["pending_visit"]
    world["clock"].move_to(at(4, 10, 10))
    response = doctor.post(reverse("frontdesk:assess", args=[visit.consultation_id]), {
        "fitzpatrick_type": "2", "finding_active_acne": "on", "recommended_sessions": "", "clinical_notes": ""})
    assert response.status_code == 302
    assert Consultation.objects.get(pk=visit.consultation_id).outcome in ("deferred", "not_eligible")


def test_front_desk_cannot_record_an_assessment(world, desk):
    response = desk.get(reverse("frontdesk:assess", args=[world["pending_visit"].consultation_id]))
    assert response.status_code == 403


# --- Planning a series ----------------------------------------------------------------
def test_plan_shows_the_proposal_on_a_calendar_with_alternatives_and_confirms(clinic, desk, desk_user,
                                                                             django_assert_max_num_queries):
    import time_machine

    from tests.builders import eligible_consultation

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10), sessions=4)
    url = reverse("frontdesk:plan", args=[consultation.pk])
    with time_machine.travel(at(2, 11), tick=False):
        with django_assert_max_num_queries(40):
            response = desk.get(url, {"location": clinic["location"].pk, "provider": clinic["provider"].pk,
                                      "session_count": "4", "target_interval_days": "28", "weekdays": ["1", "2"]})
        body = response.content.decode()
        assert response.status_code == 200
        assert body.count('role="tab"') >= 2, "alternatives are one click away"
        assert 'class="month"' in body and "window w2" in body, "each session's window is shaded on the calendar"
        token = response.context["plans"][0].token
        held = desk.post(reverse("frontdesk:hold-create", args=[consultation.pk]), {"proposal": token, "query": ""})
        hold = SeriesHold.objects.get()
        assert held.status_code == 302 and reverse("frontdesk:hold", args=[hold.pk]) in held["Location"]
        assert desk.get(reverse("frontdesk:hold", args=[hold.pk])).status_code == 200
        confirmed = desk.post(reverse("frontdesk:hold-confirm", args=[hold.pk]), {"query": ""})
    assert confirmed.status_code == 302
    series = TreatmentSeries.objects.get(consultation=consultation)
    assert series.session_count == 4 and series.created_by == desk_user
    assert len(sessions_of(series)) == 4


def test_a_taken_slot_is_explained_when_confirming(clinic, desk):
    import time_machine

    from tests.builders import consultation_visit, eligible_consultation

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 11), tick=False):
        response = desk.get(reverse("frontdesk:plan", args=[consultation.pk]),
                            {"location": clinic["location"].pk, "provider": clinic["provider"].pk,
                             "session_count": "3", "target_interval_days": "28"})
        plan = response.context["plans"][0]
        hold_response = desk.post(reverse("frontdesk:hold-create", args=[consultation.pk]),
                                  {"proposal": plan.token, "query": ""})
        hold = SeriesHold.objects.get()
        # Another desk books a consultation over session 1 after the hold ran out.
        hold.expires_at = at(2, 10)
        hold.save()
        first = hold.visits.filter(kind="session").order_by("starts_at").first()
        consultation_visit(clinic=clinic, when=first.provider_starts_at)
        confirmed = desk.post(reverse("frontdesk:hold-confirm", args=[hold.pk]), {"query": ""}, follow=True)
    assert hold_response.status_code == 302
    text = confirmed.content.decode()
    assert "The series was not booked." in text and "already has a visit" in text
    assert not TreatmentSeries.objects.filter(consultation=consultation).exists()


def test_nothing_fits_is_said_plainly(clinic, desk):
    import time_machine

    from tests.builders import eligible_consultation

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 11), tick=False):
        response = desk.get(reverse("frontdesk:plan", args=[consultation.pk]), {
            "location": clinic["location"].pk, "session_count": "3", "target_interval_days": "28",
            "weekdays": ["6"], "earliest_time": "06:00", "latest_time": "07:00", "strict": "on"})
    body = response.content.decode()
    assert "No series fits" in body


def test_provider_cannot_plan_a_series(world, doctor):
    assert doctor.get(reverse("frontdesk:plan", args=[world["consultation"].pk])).status_code == 403


# --- Visits ---------------------------------------------------------------------------
def test_reschedule_previews_the_cascade_then_moves_it(world, desk, django_assert_max_num_queries):
    one, two, three = sessions_of(world["series"])
    new = two.starts_at + timedelta(days=10)
    local = new.astimezone(at(1, 1).tzinfo)
    url = reverse("frontdesk:reschedule", args=[two.pk])
    form = {"day": local.date().isoformat(), "at": local.strftime("%H:%M")}
    with django_assert_max_num_queries(40):
        preview = desk.post(url, {**form, "action": "preview"})
    body = preview.content.decode()
    assert "What this move changes" in body and "Session 3" in body
    three.refresh_from_db()
    old_three = three.starts_at
    assert Appointment.objects.get(pk=two.pk).starts_at != new, "a preview changes nothing"
    done = desk.post(url, {**form, "action": "confirm"})
    assert done.status_code == 302
    two.refresh_from_db()
    three.refresh_from_db()
    assert two.starts_at == new
    assert three.starts_at != old_three and timedelta(days=28) <= three.starts_at - two.starts_at <= timedelta(days=42)


def test_cancel_needs_a_reason_and_marks_late_cancellations(world, desk):
    visit = world["pending_visit"]
    refused = desk.post(reverse("frontdesk:cancel", args=[visit.pk]), {"reason": ""})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    world["clock"].move_to(at(3, 12))
    done = desk.post(reverse("frontdesk:cancel", args=[visit.pk]), {"reason": "Patient unwell"}, follow=True)
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.cancel_reason == "Patient unwell" and visit.late_cancellation
    assert "marked late" in done.content.decode()


def test_check_in_then_provider_completes_the_session(world, desk, doctor):
    first = sessions_of(world["series"])[0]
    world["clock"].move_to(first.starts_at + timedelta(minutes=5))
    assert desk.post(reverse("frontdesk:check-in", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.status == "checked_in"
    assert desk.post(reverse("frontdesk:complete", args=[first.pk]), {}).status_code == 403
    response = doctor.post(reverse("frontdesk:complete", args=[first.pk]), {
        "depth_face": "1.25", "device": "pen", "side_effects": ["redness"], "notes": "Tolerated well."})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "completed" and first.device == "pen" and first.side_effects == ["redness"]
    assert [(a.area, str(a.depth_mm)) for a in first.treated_areas.all()] == [("face", "1.25")]


def test_completing_without_areas_is_explained(world, doctor):
    first = sessions_of(world["series"])[0]
    world["clock"].move_to(first.starts_at + timedelta(minutes=5))
    response = doctor.post(reverse("frontdesk:complete", args=[first.pk]), {"device": "pen"})
    assert response.status_code == 400
    assert "Record at least one treated area" in response.content.decode()


def test_no_show_after_the_start(world, desk):
    visit = world["pending_visit"]
    early = desk.post(reverse("frontdesk:no-show", args=[visit.pk]), follow=True)
    assert "only after its start time" in early.content.decode()
    world["clock"].move_to(at(4, 10, 20))
    desk.post(reverse("frontdesk:no-show", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.status == "no_show"


def test_waitlist_add_and_list(world, desk, django_assert_max_num_queries):
    patient = world["patient"]
    response = desk.post(reverse("frontdesk:waitlist-new", args=[patient.pk]), {
        "location": world["location"].pk, "kind": "session", "earliest_date": "2027-03-05",
        "latest_date": "2027-03-20", "preferred_times": ["morning"], "notes": "Any cancellation"})
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.kind == "session" and entry.preferred_times == ["morning"]
    with django_assert_max_num_queries(8):
        body = desk.get(reverse("frontdesk:waitlist")).content.decode()
    assert patient.full_name in body


# --- Who may open what ----------------------------------------------------------------
def test_pages_need_a_login(client, world):
    response = client.get(reverse("frontdesk:schedule"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("frontdesk:login"))


def test_a_login_without_a_clinic_role_is_refused(world):
    nobody = signed_in(factories.UserFactory(username="nobody"))
    assert nobody.get(reverse("frontdesk:schedule")).status_code == 403


def test_a_provider_login_not_linked_to_a_provider_is_refused(world):
    unlinked = factories.UserFactory(username="unlinked")
    unlinked.groups.add(Group.objects.get(name=roles.PROVIDER))
    assert signed_in(unlinked).get(reverse("frontdesk:schedule")).status_code == 403


def test_only_clinic_admins_see_the_dashboard(world, desk, doctor, admin):
    url = reverse("frontdesk:dashboard")
    assert desk.get(url).status_code == 403
    assert doctor.get(url).status_code == 403
    assert admin.get(url).status_code == 200


def test_a_provider_sees_only_their_own_patients(world, other_doctor):
    assert other_doctor.get(reverse("frontdesk:patient", args=[world["patient"].pk])).status_code == 404
    search = other_doctor.get(reverse("frontdesk:patient-search-json"), {"q": world["patient"].last_name})
    assert search.json()["results"] == []


def test_root_goes_to_the_schedule_and_the_admin_links_to_the_dashboard(world, clinic_admin_user):
    from django.test import Client

    client = Client()
    assert client.get("/")["Location"] == reverse("frontdesk:schedule")
    clinic_admin_user.is_superuser = True
    clinic_admin_user.save()
    client.force_login(clinic_admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("frontdesk:dashboard") in index


# --- Every page, pinned ---------------------------------------------------------------
PINNED = [
    # (who, page, at most this many queries)
    ("desk", "schedule", 12 + 3),  # and 3 for closures, time off and days off drawn behind
    ("desk", "schedule-week-rooms", 12 + 2),  # and 2 for closures and rooms out of service
    ("desk", "patients", 8),
    ("desk", "patient-search-json", 6),
    ("desk", "patient-new", 6),
    # The patient page also reads whether health questions are answered and the consent signed.
    ("desk", "patient", 20),
    ("desk", "consultation-new", 25),
    ("desk", "waitlist-new", 10),
    ("doctor", "assess", 10),
    ("desk", "plan", 40),
    ("desk", "hold", 10),
    # A treatment's page also reads whether the patient's consent counts (version, signatures).
    ("desk", "visit", 12),
    ("desk", "reschedule", 12),
    ("desk", "waitlist", 8),
    ("admin", "dashboard", 25 + 8),  # and 8 for the count of visits to re-plan
    ("admin", "dashboard-csv", 16),
]


@pytest.mark.parametrize(("who", "name", "most"), PINNED, ids=[row[1] for row in PINNED])
def test_every_page_renders_in_a_bounded_number_of_queries(world, desk, doctor, admin, who, name, most,
                                                           django_assert_max_num_queries):
    from scheduling import services

    client = {"desk": desk, "doctor": doctor, "admin": admin}[who]
    patient, series, pending = world["patient"], world["series"], world["pending_visit"]
    later = sessions_of(series)[1]
    if name == "hold":
        other = factories.PatientFactory()
        from tests.builders import eligible_consultation

        consultation = eligible_consultation(clinic=world, when=at(3, 15), patient=other)
        world["clock"].move_to(at(3, 16))
        result = services.series_propose(consultation=consultation, location=world["location"])
        hold = services.series_hold(consultation=consultation, location=world["location"], plan=result.best)
    location = world["location"].pk
    urls = {
        "schedule": (reverse("frontdesk:schedule"), {"date": "2027-03-04"}),
        "schedule-week-rooms": (reverse("frontdesk:schedule"), {"date": "2027-03-04", "view": "week", "by": "room"}),
        "patients": (reverse("frontdesk:patients"), {"q": patient.last_name}),
        "patient-search-json": (reverse("frontdesk:patient-search-json"), {"q": patient.last_name}),
        "patient-new": (reverse("frontdesk:patient-new"), {}),
        "patient": (reverse("frontdesk:patient", args=[patient.pk]), {}),
        "consultation-new": (reverse("frontdesk:consultation-new", args=[patient.pk]),
                             {"location": location, "day": "2027-03-05"}),
        "waitlist-new": (reverse("frontdesk:waitlist-new", args=[patient.pk]), {}),
        "assess": (reverse("frontdesk:assess", args=[pending.consultation_id]), {}),
        "plan": (reverse("frontdesk:plan", args=[world["consultation"].pk]), {}),
        "hold": (reverse("frontdesk:hold", args=[hold.pk]) if name == "hold" else "", {}),
        "visit": (reverse("frontdesk:visit", args=[later.pk]), {}),
        "reschedule": (reverse("frontdesk:reschedule", args=[later.pk]), {}),
        "waitlist": (reverse("frontdesk:waitlist"), {}),
        "dashboard": (reverse("frontdesk:dashboard"), {"location": location}),
        "dashboard-csv": (reverse("frontdesk:dashboard-csv", args=["closing"]), {"location": location}),
    }
    url, query = urls[name]
    with django_assert_max_num_queries(most):
        response = client.get(url, query)
    assert response.status_code == 200
