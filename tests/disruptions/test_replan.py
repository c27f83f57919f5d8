"""Re-planning disrupted visits: the smallest change that keeps every rule, or the reasons
and the best options left; applied all or nothing per patient, once, with one message."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from clinic.models import AuditEntry, Closure, TimeOff
from scheduling.disruptions import visits_disrupted
from scheduling.models import Appointment, Reminder
from scheduling.services.replan import replan_proposals
from scheduling.services.replan_apply import Choice, replan_apply, replan_cancel
from tests.builders import LONDON, consultation_visit, sessions

pytestmark = pytest.mark.django_db


def _local_day(moment):
    return moment.astimezone(LONDON).replace(hour=0, minute=0, second=0, microsecond=0)


def _close_week_from(location, moment, reason="Refurbishment"):
    start = _local_day(moment)
    return Closure.objects.create(location=location, reason=reason, starts_at=start,
                                  ends_at=start + timedelta(days=7))


def _told(world):
    """The patients have heard of their visits: a move is news to them."""
    Reminder.objects.filter(kind__in=["confirmation", "series_confirmation"]).update(
        status="sent", sent_at=world["series"].created_at)


def _main(proposals):
    """The proposals to act on: a follow-up whose session's proposal moves it needs none."""
    return [p for p in proposals if p.follows is None]


def _choice(proposal, option=None) -> Choice:
    option = option or proposal.best
    return Choice(appointment_id=proposal.appointment.pk, stamp=proposal.stamp, new_start=option.new_start,
                  provider_id=option.provider_id, keeps_rules=option.keeps_rules)


def test_a_closure_over_session_2_moves_session_3_to_keep_its_window(world, protocol):
    first, second, third = sessions(world["series"])
    assert (second.starts_at.date() - first.starts_at.date()).days == protocol.min_interval_days
    _close_week_from(world["location"], second.starts_at)

    proposals = replan_proposals()
    [proposal] = _main(proposals)
    assert proposal.appointment.pk == second.pk and proposal.best is not None
    # The healing check after session 2 is in the closure too: it follows its session.
    assert all(p.follows == second.pk for p in proposals if p is not proposal)
    best = proposal.best
    assert best.provider_id == second.provider_id  # the same provider where possible
    moved = {c.appointment_id: c.new.start for c in best.changes}
    assert second.pk in moved and third.pk in moved  # session 3 follows to keep its window
    gap_2 = (moved[second.pk].astimezone(LONDON).date() - first.starts_at.astimezone(LONDON).date()).days
    gap_3 = (moved[third.pk].astimezone(LONDON).date() - moved[second.pk].astimezone(LONDON).date()).days
    assert protocol.min_interval_days <= gap_2 <= protocol.max_interval_days
    assert protocol.min_interval_days <= gap_3 <= protocol.max_interval_days
    assert moved[second.pk] >= _local_day(second.starts_at) + timedelta(days=7)  # out of the closure
    # Healing checks follow their sessions.
    assert {c.kind for c in best.changes} >= {"session"}

    result = replan_apply(choices=[_choice(proposal)], changed_by=world["desk"] if "desk" in world else None)
    assert result.problems == [] and result.moved >= 2
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.starts_at, third.starts_at) == (moved[second.pk], moved[third.pk])
    assert visits_disrupted() == []
    assert AuditEntry.objects.filter(action="replanned", object_id=str(second.pk)).exists()


def test_time_off_leaving_no_slot_in_the_window_is_explained_with_options(world, protocol):
    first, second, _ = sessions(world["series"])
    start = _local_day(first.starts_at) + timedelta(days=protocol.min_interval_days)
    days = protocol.max_interval_days - protocol.min_interval_days + 1
    for provider in (world["provider"], world["other_provider"]):
        TimeOff.objects.create(provider=provider, reason="Training course", starts_at=start,
                               ends_at=start + timedelta(days=days))
    [proposal] = _main(replan_proposals())
    assert proposal.best is None
    assert proposal.explanation.startswith("No free time keeps this treatment session inside its window (")
    assert f"{protocol.min_interval_days}-{protocol.max_interval_days} days after session 1" in proposal.explanation
    outside = [o for o in proposal.alternatives if not o.keeps_rules]
    assert outside and "past the" in outside[0].note
    assert outside[0].new_start >= start + timedelta(days=days)

    # Staff may choose it: the session moves alone, outside its window, said so in the audit.
    result = replan_apply(choices=[_choice(proposal, outside[0])])
    assert result.problems == []
    second.refresh_from_db()
    assert second.starts_at == outside[0].new_start


def test_accept_all_moves_every_visit_and_sends_one_message_per_patient(world):
    first, second, third = sessions(world["series"])
    pending = world["pending_visit"]
    # One closure over the patient's session 1 and another patient's consultation.
    days = sorted([_local_day(pending.starts_at), _local_day(first.starts_at)])
    Closure.objects.create(location=world["location"], reason="Flood", starts_at=days[0],
                           ends_at=days[1] + timedelta(days=1))
    _told(world)
    proposals = _main(replan_proposals())
    assert {p.appointment.pk for p in proposals} == {first.pk, pending.pk}
    assert all(p.best for p in proposals)
    result = replan_apply(choices=[_choice(p) for p in proposals])
    assert result.problems == [] and result.patients == 2
    assert visits_disrupted() == []
    for patient_id in (first.patient_id, pending.patient_id):
        assert Reminder.objects.filter(kind=Reminder.Kind.RESCHEDULE, patient_id=patient_id).count() == 1


def test_one_patient_with_two_disrupted_visits_gets_one_message(world):
    first, second, third = sessions(world["series"])
    # A consultation the same patient booked, then the provider's leave over it and sessions 2 and 3.
    extra = consultation_visit(clinic=world, when=_local_day(third.starts_at) + timedelta(days=1, hours=15),
                               patient=world["patient"])
    for visit in (second, third):
        TimeOff.objects.create(provider=world["provider"], reason="Leave", starts_at=_local_day(visit.starts_at),
                               ends_at=_local_day(visit.starts_at) + timedelta(days=3))
    _told(world)
    proposals = replan_proposals()
    main = _main(proposals)
    assert [p.appointment.pk for p in main] == [second.pk, extra.pk]
    # Session 3 is carried out of the leave by session 2's proposal.
    assert [p.follows for p in proposals if p.appointment.pk == third.pk] == [second.pk]
    result = replan_apply(choices=[_choice(p) for p in main])
    assert result.problems == [] and result.patients == 1
    assert visits_disrupted() == []
    assert Reminder.objects.filter(kind=Reminder.Kind.RESCHEDULE, patient_id=first.patient_id).count() == 1


def test_a_stale_proposal_applied_twice_moves_nothing_twice(world):
    _, second, _ = sessions(world["series"])
    _close_week_from(world["location"], second.starts_at)
    [proposal] = _main(replan_proposals())
    assert replan_apply(choices=[_choice(proposal)]).problems == []
    second.refresh_from_db()
    where = second.starts_at
    again = replan_apply(choices=[_choice(proposal)])
    assert again.moved == 0
    assert again.problems and "was changed by someone else since this board was shown" in again.problems[0]
    second.refresh_from_db()
    assert second.starts_at == where
    assert AuditEntry.objects.filter(action="replanned", object_id=str(second.pk)).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admins_accepting_the_same_board_at_once_move_each_visit_once(world):
    _, second, _ = sessions(world["series"])
    _close_week_from(world["location"], second.starts_at)
    [proposal] = _main(replan_proposals())
    results, barrier = [], threading.Barrier(2)

    def admin():
        try:
            barrier.wait()
            results.append(replan_apply(choices=[_choice(proposal)]))
        finally:
            connection.close()

    threads = [threading.Thread(target=admin) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.moved > 0 for r in results) == [False, True]
    assert any("changed by someone else" in p for r in results for p in r.problems)
    assert AuditEntry.objects.filter(action="replanned", object_id=str(second.pk)).count() == 1


def test_cancel_with_a_reason_tells_the_patient_and_clears_the_board(world):
    _, second, _ = sessions(world["series"])
    _close_week_from(world["location"], second.starts_at)
    [proposal] = _main(replan_proposals())
    with pytest.raises(Exception, match="Give a reason"):
        replan_cancel(appointment_id=second.pk, stamp=proposal.stamp, reason="  ")
    replan_cancel(appointment_id=second.pk, stamp=proposal.stamp, reason="Clinic closed for refurbishment")
    second.refresh_from_db()
    assert second.status == Appointment.Status.CANCELLED
    assert Reminder.objects.filter(kind=Reminder.Kind.CANCELLATION, appointment=second).count() == 1
    assert visits_disrupted() == []


def test_when_the_provider_is_away_for_the_whole_window_another_provider_is_proposed(world, protocol):
    first, second, _ = sessions(world["series"])
    start = _local_day(first.starts_at) + timedelta(days=protocol.min_interval_days)
    TimeOff.objects.create(provider=world["provider"], reason="Sabbatical", starts_at=start,
                           ends_at=start + timedelta(days=protocol.max_interval_days - protocol.min_interval_days + 1))
    [proposal] = _main(replan_proposals())
    assert proposal.appointment.pk == second.pk
    assert proposal.best is not None and proposal.best.provider_id == world["other_provider"].pk
    assert proposal.best.note == "With another provider."
    assert proposal.disruption.reasons[0].startswith("Dr Asha Patel is on time off: Sabbatical (")
