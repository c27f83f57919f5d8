"""Planning, holding, confirming and rescheduling whole series through the services."""

import threading
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from clinic.audit import AuditEntry
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Closure, OpeningHours, TimeOff
from patients.models import Consultation, RecommendedArea
from scheduling.models import Appointment, SeriesHold, TreatmentSeries
from scheduling.planner import Preferences
from scheduling.services import (
    appointment_reschedule,
    appointment_reschedule_preview,
    availability_find,
    consultation_book,
    hold_release,
    maintenance_book,
    maintenance_propose,
    proposal_sign,
    proposal_unsign,
    series_confirm,
    series_hold,
    series_propose,
)
from tests.factories import (
    EligibleConsultationFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=LONDON)  # a Monday


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def weekday_clinic(clock, location, provider, room):
    """The shared location with one provider and one room, open only 09:00-17:00 on weekdays."""
    OpeningHours.objects.filter(location=location).delete()
    for weekday in range(5):
        OpeningHours.objects.create(location=location, weekday=weekday, opens=time(9), closes=time(17))
    return location, provider, room


def eligible(patient=None, sessions=3, **kwargs):
    consultation = EligibleConsultationFactory(
        patient=patient or PatientFactory(),
        recommended_sessions=sessions,
        assessed_at=NOW - timedelta(days=2),
        **kwargs,
    )
    RecommendedArea.objects.create(consultation=consultation, area="face", depth_mm="1.00")
    return consultation


def local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


class TestPropose:
    def test_proposes_a_whole_series_with_follow_ups_inside_opening_hours(self, weekday_clinic):
        location, provider, room = weekday_clinic
        result = series_propose(consultation=eligible(sessions=4), location=location)
        plan = result.best
        assert plan is not None and result.problem is None
        assert len(plan.sessions) == 4 and len(plan.healing_checks) == 4 and plan.review is not None
        days = [local(v.start).date() for v in plan.sessions]
        assert all(28 <= (b - a).days <= 42 for a, b in pairwise(days))
        for visit in plan.visits:
            assert local(visit.start).weekday() < 5
            assert time(9) <= local(visit.start).time() and local(visit.room_end).time() <= time(17)
            assert visit.start >= NOW

    def test_offers_distinct_alternatives(self, weekday_clinic):
        location, _, _ = weekday_clinic
        result = series_propose(consultation=eligible(), location=location, alternatives=3)
        keys = [result.best.key] + [alt.key for alt in result.alternatives]
        assert len(result.alternatives) >= 1 and len(set(keys)) == len(keys)

    @pytest.mark.parametrize(
        "outcome, extra, message",
        [
            ("deferred", {"deferred_until": "2027-06-01", "recommended_sessions": None}, "eligible consultation"),
            ("not_eligible", {"recommended_sessions": None}, "eligible consultation"),
        ],
    )
    def test_refuses_a_consultation_that_is_not_eligible(self, weekday_clinic, outcome, extra, message):
        location, _, _ = weekday_clinic
        consultation = eligible()
        Consultation.objects.filter(pk=consultation.pk).update(outcome=outcome, **extra)
        consultation.refresh_from_db()
        with pytest.raises(InvalidRequest, match=message):
            series_propose(consultation=consultation, location=location)

    def test_refuses_a_consultation_older_than_the_protocol_allows(self, weekday_clinic):
        location, _, _ = weekday_clinic
        consultation = eligible()
        consultation.assessed_at = NOW - timedelta(days=181)
        consultation.save()
        with pytest.raises(InvalidRequest, match="older than 180 days"):
            series_propose(consultation=consultation, location=location)

    def test_needs_the_hyperpigmentation_caution_acknowledged(self, weekday_clinic):
        location, _, _ = weekday_clinic
        consultation = eligible(hyperpigmentation_caution=True)
        with pytest.raises(InvalidRequest, match="acknowledge"):
            series_propose(consultation=consultation, location=location)

    def test_needs_every_caution_acknowledged_not_only_hyperpigmentation(self, weekday_clinic):
        location, _, _ = weekday_clinic
        consultation = eligible(screening=[{"condition": "blood_thinners", "label": "Takes blood thinners",
                                            "effect": "caution"}])
        with pytest.raises(InvalidRequest, match="acknowledge a caution") as refused:
            series_propose(consultation=consultation, location=location)
        assert "blood thinners" not in refused.value.message, "the desk reads this: the caution is not named"
        consultation.caution_acknowledged_at = NOW
        consultation.save()
        assert series_propose(consultation=consultation, location=location).best is not None

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"session_count": 7}, "session_count"),
            ({"session_count": 2}, "session_count"),
            ({"target_interval_days": 21}, "target_interval_days"),
            ({"target_interval_days": 49}, "target_interval_days"),
        ],
    )
    def test_refuses_numbers_outside_the_protocol(self, weekday_clinic, kwargs, field):
        location, _, _ = weekday_clinic
        with pytest.raises(InvalidRequest) as caught:
            series_propose(consultation=eligible(), location=location, **kwargs)
        assert field in caught.value.details

    def test_refuses_a_naive_earliest_start(self, weekday_clinic):
        location, _, _ = weekday_clinic
        with pytest.raises(InvalidRequest, match="time zone"):
            series_propose(consultation=eligible(), location=location, earliest_start=datetime(2027, 4, 1, 9))

    def test_explains_when_no_series_fits(self, weekday_clinic):
        location, provider, _ = weekday_clinic
        TimeOff.objects.create(provider=provider, starts_at=NOW, ends_at=NOW + timedelta(days=800), reason="Sabbatical")
        result = series_propose(consultation=eligible(), location=location)
        assert result.best is None
        assert "Session 1" in result.problem.message


class TestHoldAndConfirm:
    def test_confirm_books_every_visit_as_one_series(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        consultation = eligible(sessions=3)
        plan = series_propose(consultation=consultation, location=location).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        series = series_confirm(hold=hold, confirmed_by=desk_user)
        assert series.session_count == 3 and series.status == TreatmentSeries.Status.ACTIVE
        booked = list(series.appointments.order_by("starts_at"))
        assert [a.starts_at for a in booked] == sorted(v.start for v in plan.visits)
        assert [a.session_number for a in booked if a.kind == "session"] == [1, 2, 3]
        hold.refresh_from_db()
        assert hold.status == SeriesHold.Status.CONFIRMED
        assert AuditEntry.objects.filter(action="series_booked", object_id=str(series.pk), actor=desk_user).exists()

    def test_a_held_proposal_is_not_offered_to_another_patient(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        first = eligible()
        plan = series_propose(consultation=first, location=location).best
        series_hold(consultation=first, location=location, plan=plan, held_by=desk_user)
        other = series_propose(consultation=eligible(), location=location).best
        held_rooms = {(v.start, v.room_end) for v in plan.visits if v.room_id}
        for visit in other.visits:
            for start, end in held_rooms:
                assert visit.room_end <= start or visit.start >= end

    def test_holding_slots_another_desk_holds_is_a_conflict(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        first, second = eligible(), eligible()
        plan = series_propose(consultation=first, location=location).best
        series_hold(consultation=first, location=location, plan=plan, held_by=desk_user)
        with pytest.raises(Conflict, match="held for another patient"):
            series_hold(consultation=second, location=location, plan=plan, held_by=desk_user)

    def test_released_hold_frees_its_slots(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        first, second = eligible(), eligible()
        plan = series_propose(consultation=first, location=location).best
        hold = series_hold(consultation=first, location=location, plan=plan, held_by=desk_user)
        hold_release(hold=hold, released_by=desk_user)
        assert series_hold(consultation=second, location=location, plan=plan, held_by=desk_user).status == "held"

    def test_an_expired_hold_still_confirms_while_its_slots_are_free(self, weekday_clinic, desk_user, clock):
        location, _, _ = weekday_clinic
        consultation = eligible()
        plan = series_propose(consultation=consultation, location=location).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        clock.shift(timedelta(minutes=30))
        assert series_confirm(hold=hold, confirmed_by=desk_user).appointments.count() == len(plan.visits)

    def test_confirming_taken_slots_saves_nothing_and_says_what_was_taken(self, weekday_clinic, desk_user, clock):
        location, _, _ = weekday_clinic
        first, second = eligible(), eligible()
        plan = series_propose(consultation=first, location=location).best
        stale = series_hold(consultation=first, location=location, plan=plan, held_by=desk_user)
        clock.shift(timedelta(minutes=30))
        taken = series_hold(consultation=second, location=location, plan=plan, held_by=desk_user)
        series_confirm(hold=taken, confirmed_by=desk_user)
        with pytest.raises(Conflict) as caught:
            series_confirm(hold=stale, confirmed_by=desk_user)
        assert caught.value.details["conflicts"]
        assert not TreatmentSeries.objects.filter(consultation=first).exists()
        assert not Appointment.objects.filter(patient=first.patient).exists()

    def test_a_closure_added_after_the_proposal_blocks_the_confirmation(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        consultation = eligible()
        plan = series_propose(consultation=consultation, location=location).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        second = plan.sessions[1]
        Closure.objects.create(location=location, starts_at=second.start - timedelta(hours=1),
                               ends_at=second.end + timedelta(hours=1), reason="Burst pipe")
        with pytest.raises(Conflict, match="Burst pipe"):
            series_confirm(hold=hold, confirmed_by=desk_user)

    def test_a_confirmed_hold_cannot_be_confirmed_twice(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        consultation = eligible()
        plan = series_propose(consultation=consultation, location=location).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        series_confirm(hold=hold, confirmed_by=desk_user)
        with pytest.raises(Conflict, match="already confirmed"):
            series_confirm(hold=hold, confirmed_by=desk_user)
        assert TreatmentSeries.objects.count() == 1

    def test_proposal_tokens_round_trip_and_refuse_tampering(self, weekday_clinic):
        location, _, _ = weekday_clinic
        consultation = eligible()
        plan = series_propose(consultation=consultation, location=location).best
        token = proposal_sign(consultation=consultation, location=location, plan=plan)
        assert proposal_unsign(token=token) == (consultation.pk, location.pk, plan)
        with pytest.raises(InvalidRequest, match="not one the planner made"):
            proposal_unsign(token=token[:-2] + "xx")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_desks_confirming_overlapping_proposals_at_once_book_one(time_machine):
    """Two expired holds on the same slots, confirmed by two threads at the same moment."""
    time_machine.move_to(NOW, tick=False)
    location = LocationFactory()
    ProviderFactory(location=location)
    RoomFactory(location=location)
    desk = UserFactory()
    first, second = eligible(), eligible()
    plan = series_propose(consultation=first, location=location).best
    holds = [series_hold(consultation=first, location=location, plan=plan, held_by=desk, minutes=0)]
    holds.append(series_hold(consultation=second, location=location, plan=plan, held_by=desk, minutes=0))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(hold):
        try:
            barrier.wait()
            series_confirm(hold=hold, confirmed_by=desk)
            outcomes.append("booked")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(hold,)) for hold in holds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "conflict"]
    assert TreatmentSeries.objects.count() == 1
    assert Appointment.objects.count() == len(plan.visits)


class TestReschedule:
    @pytest.fixture
    def weekday_series(self, weekday_clinic, desk_user):
        location, _, _ = weekday_clinic
        consultation = eligible(sessions=3)
        plan = series_propose(consultation=consultation, location=location, preferences=Preferences()).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        return series_confirm(hold=hold, confirmed_by=desk_user)

    def sessions(self, series):
        return list(
            series.appointments.filter(kind="session", status__in=["booked", "confirmed"]).order_by("session_number")
        )

    def test_a_small_move_keeps_later_sessions_where_they_are(self, weekday_clinic, desk_user):
        """Planned five weeks apart, session 2 can move a day without touching session 3."""
        location, _, _ = weekday_clinic
        consultation = eligible(sessions=3)
        plan = series_propose(consultation=consultation, location=location, target_interval_days=35).best
        hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
        series = series_confirm(hold=hold, confirmed_by=desk_user)
        one, two, three = self.sessions(series)
        new_start = two.starts_at + timedelta(days=1)
        preview = appointment_reschedule_preview(appointment=two, new_start=new_start)
        assert preview.ok
        moved_sessions = [c for c in preview.changes if c.kind == "session"]
        assert [c.appointment_id for c in moved_sessions] == [two.pk]
        appointment_reschedule(appointment=two, new_start=new_start, changed_by=desk_user)
        two.refresh_from_db()
        three_after = Appointment.objects.get(pk=three.pk)
        assert two.starts_at == new_start and three_after.starts_at == three.starts_at

    def test_moving_session_2_later_pushes_session_3_back_into_its_window(self, weekday_series, desk_user):
        one, two, three = self.sessions(weekday_series)
        new_start = two.starts_at + timedelta(days=14)
        preview = appointment_reschedule_preview(appointment=two, new_start=new_start)
        assert preview.ok
        assert {c.appointment_id for c in preview.changes if c.kind == "session"} == {two.pk, three.pk}
        assert Appointment.objects.get(pk=three.pk).starts_at == three.starts_at  # preview saves nothing
        appointment_reschedule(appointment=two, new_start=new_start, changed_by=desk_user)
        starts = [local(a.starts_at).date() for a in self.sessions(weekday_series)]
        assert all(28 <= (b - a).days <= 42 for a, b in pairwise(starts))
        assert self.sessions(weekday_series)[0].starts_at == one.starts_at  # earlier sessions never move
        checks = weekday_series.appointments.filter(kind="healing_check", status="booked").order_by("starts_at")
        for session, check in zip(self.sessions(weekday_series), checks, strict=True):
            assert 3 <= (local(check.starts_at).date() - local(session.starts_at).date()).days <= 7
        assert AuditEntry.objects.filter(action="rescheduled", object_id=str(three.pk)).exists()

    def test_a_move_that_breaks_the_interval_before_it_is_refused(self, weekday_series):
        one, two, _ = self.sessions(weekday_series)
        with pytest.raises(Conflict):
            appointment_reschedule(appointment=two, new_start=one.starts_at + timedelta(days=7))

    def test_a_series_with_a_cancelled_session_can_still_be_rescheduled(self, weekday_series, desk_user):
        """Session 2 cancelled: session 3 now follows session 1 and must lie 28-42 days after it."""
        one, two, three = self.sessions(weekday_series)
        Appointment.objects.filter(pk=two.pk).update(status="cancelled", cancel_reason="Patient unwell")
        too_late = appointment_reschedule_preview(appointment=three, new_start=three.starts_at + timedelta(days=2))
        assert not too_late.ok
        assert too_late.message.startswith("Session 3 cannot move") and "after session 1" in too_late.message
        new_start = one.starts_at + timedelta(days=35)
        assert appointment_reschedule_preview(appointment=three, new_start=new_start).ok
        appointment_reschedule(appointment=three, new_start=new_start, changed_by=desk_user)
        three.refresh_from_db()
        assert three.starts_at == new_start and three.session_number == 3
        check = weekday_series.appointments.get(kind="healing_check", session_number=3, status="booked")
        assert 3 <= (local(check.starts_at).date() - local(new_start).date()).days <= 7

    def test_a_confirmed_visit_stays_confirmed_when_moved(self, weekday_series, desk_user):
        _, two, _ = self.sessions(weekday_series)
        Appointment.objects.filter(pk=two.pk).update(status="confirmed")
        two.refresh_from_db()
        appointment_reschedule(appointment=two, new_start=two.starts_at + timedelta(days=1), changed_by=desk_user)
        two.refresh_from_db()
        assert two.status == "confirmed"


class TestSingleVisits:
    def test_books_a_consultation_with_a_pending_record(self, weekday_clinic, desk_user):
        location, provider, _ = weekday_clinic
        patient = PatientFactory()
        when = datetime(2027, 3, 2, 11, 0, tzinfo=LONDON)
        visit = consultation_book(patient=patient, location=location, provider=provider, starts_at=when,
                                  booked_by=desk_user)
        assert visit.kind == "consultation" and visit.consultation.outcome == "pending"
        assert visit.starts_at == when and visit.ends_at == when + timedelta(minutes=30)

    def test_refuses_a_consultation_outside_opening_hours(self, weekday_clinic, desk_user):
        location, provider, _ = weekday_clinic
        with pytest.raises(Conflict, match="cannot see the patient"):
            consultation_book(patient=PatientFactory(), location=location, provider=provider,
                              starts_at=datetime(2027, 3, 2, 18, 0, tzinfo=LONDON), booked_by=desk_user)

    def test_availability_lists_free_slots_and_skips_taken_ones(self, weekday_clinic, desk_user):
        location, provider, _ = weekday_clinic
        day = datetime(2027, 3, 2, 9, 0, tzinfo=LONDON)
        consultation_book(patient=PatientFactory(), location=location, provider=provider, starts_at=day,
                          booked_by=desk_user)
        slots = availability_find(location=location, kind="consultation", start=day, end=day + timedelta(hours=8))
        assert slots and all(s.start >= day + timedelta(minutes=30) for s in slots)

    def test_availability_refuses_a_backwards_range(self, weekday_clinic):
        location, _, _ = weekday_clinic
        with pytest.raises(InvalidRequest, match="after its start"):
            availability_find(location=location, kind="consultation", start=NOW + timedelta(days=1), end=NOW)


def test_maintenance_is_proposed_at_the_protocol_interval_and_booked(weekday_clinic, desk_user):
    location, _, _ = weekday_clinic
    consultation = eligible(sessions=3)
    plan = series_propose(consultation=consultation, location=location).best
    hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
    series = series_confirm(hold=hold, confirmed_by=desk_user)
    result = maintenance_propose(series=series, count=2)
    visits = result.best.maintenance
    last_session = local(plan.sessions[-1].start).date()
    assert len(visits) == 2
    assert 60 <= (local(visits[0].start).date() - last_session).days <= 90
    assert 60 <= (local(visits[1].start).date() - local(visits[0].start).date()).days <= 90
    booked = maintenance_book(series=series, plan=result.best, booked_by=desk_user)
    assert [a.kind for a in booked] == ["maintenance", "maintenance"]


def test_maintenance_is_still_proposed_and_booked_once_the_first_window_has_passed(weekday_clinic, desk_user, clock):
    location, _, _ = weekday_clinic
    consultation = eligible(sessions=3)
    plan = series_propose(consultation=consultation, location=location).best
    hold = series_hold(consultation=consultation, location=location, plan=plan, held_by=desk_user)
    series = series_confirm(hold=hold, confirmed_by=desk_user)
    late = plan.sessions[-1].start + timedelta(days=150)
    clock.move_to(late)
    result = maintenance_propose(series=series, count=1)
    assert result.best is not None
    first = result.best.maintenance[0].start
    assert late < first <= late + timedelta(days=31)
    booked = maintenance_book(series=series, plan=result.best, booked_by=desk_user)
    assert booked[0].starts_at == first
