"""The dashboard's numbers against values worked out by hand on a small fixed clinic.

The clinic (London; open Monday to Friday 09:00-17:00; closed Wednesday 3 March 2027
from 13:00) has two providers and two rooms. Dr A works Monday to Friday 09:00-17:00
and is away all of Thursday 4 March; B works Monday and Tuesday 10:00-14:00. The
clock reads Wednesday 3 March 2027, 12:00. The week is 1-7 March 2027."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from clinic.models import Closure, Location, OpeningHours, Provider, Room, TimeOff, WorkingHours
from frontdesk import dashboard as d
from patients.models import Consultation
from scheduling.models import Appointment, Reminder, TreatmentProtocol, TreatmentSeries
from tests import factories
from tests.builders import LONDON

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=LONDON)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


D = date(2027, 3, 1)  # Monday


@pytest.fixture
def fixed(db):
    location = Location.objects.create(name="Fixed", slug="fixed", time_zone="Europe/London")
    for weekday in range(5):
        OpeningHours.objects.create(location=location, weekday=weekday, opens=time(9), closes=time(17))
    Closure.objects.create(location=location, reason="Training", starts_at=local(D + timedelta(days=2), 13),
                           ends_at=local(D + timedelta(days=2), 17))
    a = factories.ProviderFactory(display_name="Dr A")
    b = factories.ProviderFactory(display_name="B")
    for weekday in range(5):
        WorkingHours.objects.create(provider=a, location=location, weekday=weekday, starts=time(9), ends=time(17))
    for weekday in (0, 1):
        WorkingHours.objects.create(provider=b, location=location, weekday=weekday, starts=time(10), ends=time(14))
    TimeOff.objects.create(
        provider=a, starts_at=local(D + timedelta(days=3), 0), ends_at=local(D + timedelta(days=4), 0)
    )
    r1 = Room.objects.create(location=location, name="R1")
    r2 = Room.objects.create(location=location, name="R2")
    protocol = TreatmentProtocol.objects.get(slug="facial-microneedling")

    def visit(kind, provider, room, start, *, prep=0, treat=30, turnover=0, status="completed", series=None,
              number=None, late=False, place=location):
        patient = series.patient if series else factories.PatientFactory()
        return Appointment.objects.create(
            kind=kind, location=place, patient=patient, provider=provider, room=room, series=series,
            session_number=number, starts_at=start, provider_starts_at=start + timedelta(minutes=prep),
            provider_ends_at=start + timedelta(minutes=prep + treat), ends_at=start + timedelta(minutes=prep + treat),
            room_ends_at=start + timedelta(minutes=prep + treat + turnover), status=status,
            cancel_reason="Unwell" if status == "cancelled" else "", late_cancellation=late)

    def series(count, status, first_day):
        consultation = Consultation.objects.create(patient=factories.PatientFactory(), outcome="eligible",
                                                   recommended_sessions=count, assessed_at=local(first_day, 8))
        return TreatmentSeries.objects.create(
            patient=consultation.patient,
            consultation=consultation,
            protocol=protocol,
            location=location,
            provider=a,
            session_count=count,
            status=status,
        )

    session = {"prep": 30, "treat": 30, "turnover": 10}
    s1 = series(3, "active", D)
    s2 = series(4, "active", D + timedelta(days=4))
    s3 = series(3, "completed", date(2027, 1, 4))
    s4 = series(3, "cancelled", date(2027, 1, 11))
    s5 = series(3, "on_hold", date(2027, 2, 8))
    s6 = series(3, "active", date(2027, 1, 20))
    s7 = series(3, "active", date(2027, 1, 25))
    s8 = series(3, "active", date(2027, 1, 29))

    # The week of 1 March.
    visit("session", a, r1, local(D, 10), series=s1, number=1, **session)                      # A 30, R1 70
    visit("consultation", a, r2, local(D + timedelta(days=1), 9))                              # A 30, R2 30
    visit("consultation", b, r1, local(D + timedelta(days=1), 10), status="no_show")
    visit("healing_check", a, None, local(D + timedelta(days=2), 9), treat=15, status="booked", series=s1, number=1)
    visit("review", b, r2, local(D, 11), treat=20, status="cancelled", late=True)
    visit("session", a, r1, local(D + timedelta(days=4), 9), prep=30, treat=45, turnover=10, status="booked",
          series=s2, number=1)                                                                  # A 45, R1 85
    visit("consultation", b, r1, local(D + timedelta(days=3), 15), status="cancelled")
    visit("consultation", b, r2, local(D, 12))                                                 # B 30, R2 30
    # Outside the week.
    visit("session", a, r1, local(D + timedelta(days=7), 10), status="booked", series=s1, number=2, **session)
    for number, day in enumerate([date(2027, 1, 4), date(2027, 2, 1), date(2027, 2, 22)], start=1):
        visit("session", b, r2, local(day, 10), series=s3, number=number, **session)
    visit("session", a, r1, local(date(2027, 1, 11), 10), series=s4, number=1, **session)
    visit("session", a, r1, local(date(2027, 2, 8), 10), series=s4, number=2, status="cancelled", **session)
    visit("session", a, r1, local(date(2027, 2, 8), 14), series=s5, number=1, **session)
    visit("session", a, r1, local(date(2027, 1, 20), 10), series=s6, number=1, **session)
    visit("session", a, r1, local(date(2027, 1, 25), 10), series=s7, number=1, **session)
    visit("session", a, r1, local(date(2027, 1, 29), 10), series=s8, number=1, **session)

    # Reminders: two pending, one sent, one failed in the week; one later; one at another location.
    elsewhere = factories.LocationFactory(name="Elsewhere")
    other_visit = visit("consultation", factories.ProviderFactory(), None, local(D, 9), place=elsewhere)
    first = Appointment.objects.get(series=s1, session_number=1, kind="session")

    def reminder(status, due, appointment=first, **extra):
        Reminder.objects.create(key=str(uuid.uuid4()), kind="pre_visit", channel="email", status=status,
                                patient=appointment.patient, appointment=appointment, due_at=due, **extra)

    reminder("pending", local(D + timedelta(days=4), 8))
    reminder("pending", local(D + timedelta(days=5), 8))
    reminder("sent", local(D, 8), sent_at=local(D, 8))
    reminder("failed", local(D + timedelta(days=1), 8), failed_at=local(D + timedelta(days=1), 8))
    reminder("pending", local(D + timedelta(days=9), 8))
    reminder("pending", local(D + timedelta(days=1), 8), appointment=other_visit)
    return {"location": location, "a": a, "b": b, "series": [s1, s2, s3, s4, s5, s6, s7, s8]}


def week(fixed):
    return d.period_make(location=fixed["location"], start=D, end=D + timedelta(days=6))


def test_utilisation_is_booked_over_available_minutes(fixed):
    providers, rooms = d.utilisation(week(fixed))
    # Dr A: 5 x 480 working minutes, less Thursday away (480) and the closure (240) = 1680;
    # booked 30 + 30 + 15 + 45 = 120 (a no-show and cancellations hold no time).
    # B: Monday and Tuesday 10:00-14:00 = 480; booked 30.
    assert [(u.name, u.booked_minutes, u.available_minutes) for u in providers] == [("B", 30, 480), ("Dr A", 120, 1680)]
    assert providers[1].share == pytest.approx(120 / 1680)
    # Rooms: 5 x 480 opening minutes less the closure = 2160; R1 70 + 85 (numbing and
    # turnover included), R2 30 + 30.
    assert [(u.name, u.booked_minutes, u.available_minutes) for u in rooms] == [("R1", 155, 2160), ("R2", 60, 2160)]


def test_visits_today_and_this_week(fixed):
    today, days = d.visits_today_and_week(location=fixed["location"], today=NOW.date())
    assert today.total == 1 and today.by_kind["healing_check"] == 1
    assert [day.total for day in days] == [2, 2, 1, 0, 1, 0, 0]
    assert days[0].by_kind["session"] == 1 and days[0].by_kind["consultation"] == 1


def test_no_show_and_late_cancel_rates(fixed):
    attendance = d.attendance(week(fixed))
    # 8 visits booked to start in the week: 3 attended, 1 no-show, 2 cancelled (1 late).
    assert (attendance.booked, attendance.attended, attendance.no_shows) == (8, 3, 1)
    assert (attendance.cancellations, attendance.late_cancellations) == (2, 1)
    assert attendance.no_show_rate == pytest.approx(1 / 4)
    assert attendance.late_cancel_rate == pytest.approx(1 / 8)


def test_series_started_completed_on_hold_dropped_and_completion(fixed):
    figures = d.series_figures(
        d.period_make(location=fixed["location"], start=date(2027, 1, 1), end=D + timedelta(days=6))
    )
    assert figures.by_status == {"active": 5, "paused": 0, "on_hold": 1, "completed": 1, "cancelled": 1}
    assert figures.started == 8
    # Planned 3+4+3+3+3+3+3+3 = 25 sessions; completed 1 (s1) + 3 (s3) + 1 + 1 + 1 + 1 + 1 = 9.
    assert (figures.planned_sessions, figures.completed_sessions) == (25, 9)
    assert figures.completion_share == pytest.approx(9 / 25)
    # The one completed series ran from 4 January to 22 February: 49 days.
    assert figures.average_days_first_to_last == 49
    this_week = d.series_figures(week(fixed))
    assert (this_week.started, this_week.planned_sessions, this_week.completed_sessions) == (2, 7, 1)


def test_reminders_pending_sent_failed(fixed):
    counts = d.reminder_counts(week(fixed))
    assert (counts["pending"], counts["sent"], counts["failed"]) == (2, 1, 1)


def test_patients_due_for_maintenance(fixed):
    assert d.maintenance_due(week(fixed)) == []
    april = d.period_make(location=fixed["location"], start=date(2027, 4, 1), end=date(2027, 4, 30))
    [due] = d.maintenance_due(april)
    # Last session 22 February; maintenance 60-90 days later.
    assert (due.series_id, due.last_treatment, due.due_from, due.due_by) == (
        fixed["series"][2].pk, date(2027, 2, 22), date(2027, 4, 23), date(2027, 5, 23))


def test_maintenance_booked_takes_a_patient_off_the_list(fixed):
    s3 = fixed["series"][2]
    start = local(date(2027, 4, 26), 10)
    Appointment.objects.create(kind="maintenance", location=fixed["location"], patient=s3.patient, provider=fixed["b"],
                               series=s3, starts_at=start, provider_starts_at=start,
                               provider_ends_at=start + timedelta(minutes=30), ends_at=start + timedelta(minutes=30),
                               room_ends_at=start + timedelta(minutes=30))
    april = d.period_make(location=fixed["location"], start=date(2027, 4, 1), end=date(2027, 4, 30))
    assert d.maintenance_due(april) == []


def test_series_whose_next_window_closes_within_a_week(fixed):
    s1, s2, s3, s4, s5, s6, s7, s8 = fixed["series"]
    rows = d.windows_closing(location=fixed["location"], now=NOW)
    # s6: session 1 on 20 January, closed at 10:00 on 3 March; s7: 25 January, closes 8 March.
    assert [(row.series.pk, row.next_session_number) for row in rows] == [(s6.pk, 2), (s7.pk, 2)]
    assert rows[1].window_closes_at == local(date(2027, 3, 8), 10)


def test_a_closing_window_is_counted_in_local_time_across_the_clock_change(fixed):
    s1 = fixed["series"][0]
    Appointment.objects.filter(series=s1, session_number=2).update(status="cancelled", cancel_reason="Away")
    rows = d.windows_closing(location=fixed["location"], now=datetime(2027, 4, 6, 12, tzinfo=LONDON))
    row = next(r for r in rows if r.series.pk == s1.pk)
    # Six weeks after Monday 1 March 10:00 GMT is Monday 12 April 10:00 BST, 09:00 UTC.
    assert row.window_closes_at == datetime(2027, 4, 12, 9, 0, tzinfo=UTC)
    assert row.window_closes_at.astimezone(LONDON).hour == 10


def test_the_page_and_its_csv_show_the_same_numbers(fixed, admin, django_assert_max_num_queries):
    query = {"location": fixed["location"].pk, "start": "2027-03-01", "end": "2027-03-07"}
    with time_machine.travel(NOW, tick=False):
        # 25, 8 for the visits to re-plan (scheduling.disruptions.visits_disrupted), and 3
        # to restart the session's idle count: the clock moved since sign-in.
        with django_assert_max_num_queries(25 + 8 + 3):
            response = admin.get(reverse("frontdesk:dashboard"), query)
        body = response.content.decode()
        assert '<span id="fig-series-started">2</span>' in body
        assert '<span id="fig-visits-week">6</span>' in body
        assert '<span id="fig-no-shows">1</span>' in body
        assert '<span id="fig-reminders-failed">1</span>' in body
        assert "<svg" in body and 'role="img"' in body
        exported = admin.get(reverse("frontdesk:dashboard-csv", args=["providers"]), query)
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows == [["name", "booked_minutes", "available_minutes", "utilisation"],
                    ["B", "30", "480", "0.0625"], ["Dr A", "120", "1680", "0.0714"]]
    assert exported["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("table", ["today", "week", "providers", "rooms", "series", "attendance", "reminders",
                                   "maintenance", "closing"])
def test_every_table_exports_as_csv(fixed, admin, table):
    with time_machine.travel(NOW, tick=False):
        response = admin.get(reverse("frontdesk:dashboard-csv", args=[table]), {"location": fixed["location"].pk})
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) >= 1




@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x.example\",\"B\")", "+1+1", "-2+3", "@SUM(A1)", "\tB", "\rB"])
def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(fixed, admin, name):
    Provider.objects.filter(display_name="B").update(display_name=name)
    with time_machine.travel(NOW, tick=False):
        response = admin.get(reverse("frontdesk:dashboard-csv", args=["providers"]),
                             {"location": fixed["location"].pk, "start": "2027-03-01", "end": "2027-03-07"})
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    names = [row[0] for row in rows[1:]]
    assert "'" + name in names and name not in names
    assert ["Dr A", "120", "1680", "0.0714"] in rows, "ordinary cells and numbers are written as they are"
