"""Each demo patient's path through the clinic as far as their stage: consultation,
outcome, series, and the visits brought up to the demo's moment."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from clinic.models import Location, Provider
from patients.choices import Contraindication, SideEffect, SkinConcern
from patients.models import Consultation, Patient, RecommendedArea
from scheduling.models import Appointment, TreatedArea, TreatmentProtocol, TreatmentSeries
from scheduling.services.booking import VisitSpec, appointments_book
from scheduling.services.visits import side_effect_hold_reason

from .diary import Diary, Shape

# Stages, by patient: the first 30 have series; the rest are at the consultation stage.
SERIES_STAGES = (["completed"] * 6 + ["in_progress"] * 8 + ["just_booked"] * 5 + ["on_hold"] * 3
                 + ["paused"] * 3 + ["cancelled"] * 3 + ["maintenance_due"] * 2)
CONSULTATION_STAGES = ["pending", "deferred", "not_eligible"]


def stage_for(index: int) -> str:
    return SERIES_STAGES[index] if index < len(SERIES_STAGES) else CONSULTATION_STAGES[index % 3]


def first_session_day(stage: str, index: int, today: date) -> date:
    """When the series starts (or would), chosen so that today falls at the stage the demo shows."""
    return {
        "completed": today - timedelta(days=230 + index),
        "maintenance_due": today - timedelta(days=130 + 40 * (index % 2)),
        "in_progress": today - timedelta(days=40 + 3 * index), "on_hold": today - timedelta(days=35),
        "paused": today - timedelta(days=45), "cancelled": today - timedelta(days=50),
        "just_booked": today + timedelta(days=1 + index % 12), "deferred": today, "not_eligible": today,
    }[stage]


@dataclass
class DemoClinic:
    """What every patient's story needs: the clinic, its diary, the moment and the seeded draws.

    The one rng is shared by every story, so the stories must run in patient order for the
    demo to come out the same each time."""

    rng: random.Random
    tz: ZoneInfo
    today: date
    now: datetime
    protocol: TreatmentProtocol
    location: Location
    admin: User
    diary: Diary

    @property
    def consult_shape(self) -> Shape:
        return Shape(0, self.protocol.consultation_minutes, 0, room="consulting")

    def session_shape(self, areas: list[str]) -> Shape:
        return Shape(self.protocol.numbing_minutes, self.protocol.treatment_minutes(areas),
                     self.protocol.turnover_minutes)

    def book(self, patient: Patient, specs: list[VisitSpec], **kwargs) -> list[Appointment]:
        return appointments_book(location=self.location, patient=patient, visits=specs, created_by=self.admin,
                                 **kwargs)

    def book_consultation(self, patient: Patient, provider: Provider, day: date,
                          consultation: Consultation) -> Appointment:
        spec = self.diary.place(day, self.consult_shape, patient.pk, "consultation", provider)
        return self.book(patient, [spec], consultation=consultation)[0]


def story_tell(demo: DemoClinic, index: int, patient: Patient, provider: Provider) -> None:
    stage = stage_for(index)
    if stage == "pending":
        _pending_consultation(demo, index, patient, provider)
        return
    sessions = 3 + index % 4
    first_session = first_session_day(stage, index, demo.today)
    # Every assessed consultation lies in the past.
    consulted_on = min(first_session - timedelta(days=14), demo.today - timedelta(days=2 + index % 5))
    consultation = consultation_assessed(demo, patient, provider, consulted_on)
    if stage in ("deferred", "not_eligible"):
        _not_treated(demo, consultation, stage)
        return
    areas = ["face"] if index % 3 else ["face", "neck"]
    depth = Decimal("1.50") if SkinConcern.ACNE_SCARS in patient.skin_concerns else Decimal("0.75")
    consultation_recommend(consultation, patient, provider, sessions, areas, depth)
    series = TreatmentSeries.objects.create(
        patient=patient, consultation=consultation, protocol=demo.protocol, location=demo.location,
        provider=provider, session_count=sessions, created_by=demo.admin,
    )
    specs = _series_visits(demo, patient, provider, stage, sessions, areas, first_session)
    booked = demo.book(patient, specs, series=series)
    visits_advance(demo, booked, areas, depth)
    _series_stage(demo, booked, stage, series)


def _pending_consultation(demo: DemoClinic, index: int, patient: Patient, provider: Provider) -> None:
    """A consultation booked in the coming days; every other such patient missed one last week."""
    if index % 2:  # missed an earlier consultation, then booked again
        missed = Consultation.objects.create(patient=patient)
        visit = demo.book_consultation(patient, provider, demo.today - timedelta(days=9), missed)
        Appointment.objects.filter(pk=visit.pk).update(status="no_show")
    consultation = Consultation.objects.create(patient=patient)
    demo.book_consultation(patient, provider, demo.today + timedelta(days=1 + index % 10), consultation)


def consultation_assessed(demo: DemoClinic, patient: Patient, provider: Provider, consulted_on: date) -> Consultation:
    """A consultation held on `consulted_on` and assessed when it ended; the outcome comes next."""
    consultation = Consultation.objects.create(patient=patient, provider=provider, concerns=patient.skin_concerns)
    visit = demo.book_consultation(patient, provider, consulted_on, consultation)
    Appointment.objects.filter(pk=visit.pk).update(
        status="completed", checked_in_at=visit.starts_at, completed_at=visit.ends_at)
    consultation.assessed_at = visit.ends_at
    consultation.save(update_fields=["assessed_at"])
    return consultation


def _not_treated(demo: DemoClinic, consultation: Consultation, stage: str) -> None:
    """Record a deferral (active acne, re-assess in two months) or an ineligibility (rosacea)."""
    deferred = stage == "deferred"
    Consultation.objects.filter(pk=consultation.pk).update(
        outcome=stage, contraindications=[Contraindication.ACTIVE_ACNE] if deferred else [Contraindication.ROSACEA],
        deferred_until=demo.today + timedelta(days=60) if deferred else None,
        clinical_notes="Re-assess once cleared." if deferred else "Microneedling not advised.",
    )


def consultation_recommend(consultation: Consultation, patient: Patient, provider: Provider, sessions: int,
                           areas: list[str], depth: Decimal) -> None:
    """Mark the consultation eligible with its plan; darker skin (Fitzpatrick IV-VI) carries a
    hyperpigmentation caution, which the provider acknowledges at the assessment."""
    caution = patient.fitzpatrick_type >= 4
    Consultation.objects.filter(pk=consultation.pk).update(
        outcome="eligible", recommended_sessions=sessions, hyperpigmentation_caution=caution,
        caution_acknowledged_by=provider.user if caution else None,
        caution_acknowledged_at=consultation.assessed_at if caution else None,
    )
    for area in areas:
        RecommendedArea.objects.create(consultation=consultation, area=area, depth_mm=depth)


def _series_visits(demo: DemoClinic, patient: Patient, provider: Provider, stage: str,
                   sessions: int, areas: list[str], first_session: date) -> list[VisitSpec]:
    """The whole series as the diary fits it: each session with its healing check (by phone),
    sessions at the protocol's interval, then the review, and for a completed series one
    maintenance visit already behind it."""
    protocol, tz = demo.protocol, demo.tz
    shape = demo.session_shape(areas)
    check_shape = Shape(0, protocol.healing_check_minutes, 0, room="")
    specs = []
    day = first_session
    for number in range(1, sessions + 1):
        spec = demo.diary.place(day, shape, patient.pk, "session", provider, number)
        specs.append(spec)
        check_day = spec.starts_at.astimezone(tz).date() + timedelta(days=protocol.healing_check_min_days)
        specs.append(demo.diary.place(check_day, check_shape, patient.pk, "healing_check", provider, number))
        day = spec.starts_at.astimezone(tz).date() + timedelta(days=protocol.target_interval_days)
    review_day = specs[-2].starts_at.astimezone(tz).date() + timedelta(days=protocol.review_min_days)
    specs.append(demo.diary.place(review_day, Shape(0, protocol.review_minutes, 0, room="consulting"),
                                  patient.pk, "review", provider))
    if stage == "completed":
        # One maintenance visit, 70 days after the review: these patients are due again
        # now or soon, and the dashboard lists them.
        maintenance_day = specs[-1].starts_at.astimezone(tz).date() + timedelta(days=70)
        specs.append(demo.diary.place(min(maintenance_day, demo.today - timedelta(days=7)), shape, patient.pk,
                                      "maintenance", provider))
    return specs


def visits_advance(demo: DemoClinic, booked: list[Appointment], areas: list[str], depth: Decimal) -> None:
    """Bring the booked visits to where they would be at the demo's moment: done or missed."""
    for appointment in booked:
        if appointment.ends_at >= demo.now:
            continue
        if appointment.kind == "healing_check" and demo.rng.random() < 0.15:
            appointment.status = "no_show"
        else:
            appointment.status = "completed"
            appointment.checked_in_at = appointment.starts_at
            appointment.completed_at = appointment.ends_at
            if appointment.kind in ("session", "maintenance"):
                appointment.device = "pen"
                appointment.side_effects = [SideEffect.REDNESS, SideEffect.DRYNESS][: 1 + demo.rng.randrange(2)]
                for area in areas:
                    TreatedArea.objects.create(appointment=appointment, area=area, depth_mm=depth)
        appointment.save()


def _series_stage(demo: DemoClinic, booked: list[Appointment], stage: str, series: TreatmentSeries) -> None:
    """Hold, pause or cancel the series as its stage says; a few follow-ups cancelled late."""
    future = [a for a in booked if a.starts_at >= demo.now]
    status_reason = ""
    if stage == "on_hold":
        done = (a for a in booked if a.kind == "session" and a.status == "completed")
        last_done = max(done, key=lambda a: a.starts_at)
        last_done.side_effects = [SideEffect.REDNESS, SideEffect.HYPERPIGMENTATION]
        last_done.save()
        status_reason = side_effect_hold_reason(last_done.session_number)
    elif stage in ("paused", "cancelled"):
        status_reason = "Patient travelling for two months." if stage == "paused" else "Patient moved away."
        for appointment in future:
            appointment.status = "cancelled"
            appointment.cancel_reason = status_reason
            appointment.cancelled_at = demo.now
            appointment.save()
    elif stage in ("in_progress", "just_booked") and future and demo.rng.random() < 0.3:
        # A late cancellation of a follow-up: the slot is freed and marked late.
        victim = next((a for a in future if a.kind == "healing_check"), None)
        if victim is not None:
            victim.status = "cancelled"
            victim.cancel_reason = "Patient unwell."
            victim.cancelled_at = demo.now
            victim.late_cancellation = True
            victim.save()
    status = {"completed": "completed", "maintenance_due": "completed", "on_hold": "on_hold",
              "paused": "paused", "cancelled": "cancelled"}.get(stage, "active")
    TreatmentSeries.objects.filter(pk=series.pk).update(status=status, status_reason=status_reason)
