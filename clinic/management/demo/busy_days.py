"""A clinic that looks alive on any day: the diary from a week behind to two weeks
ahead filled to about two thirds of each provider's hours, a waitlist with offers, and
reminders both sent and due."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from patients.models import Consultation, Patient
from scheduling.models import Appointment, Reminder, TreatmentSeries, WaitlistEntry
from scheduling.reminders.maintenance_prompts import maintenance_chain_start
from scheduling.reminders.outbox import reminders_sync_for_appointments
from scheduling.waitlist import waitlist_offer_slot

from .diary import Shape
from .setup import patient_create
from .stories import DemoClinic, consultation_recommend, visits_advance

FILL_SHARE = (0.60, 0.70)  # of each provider's working minutes, drawn per day
AHEAD_DAYS = 14


BEHIND_DAYS = 7


def days_to_fill(today: date) -> list[date]:
    """A week behind up to two weeks from today: the days behind give the dashboard a
    week of visits done, and patients seen and still to plan."""
    first = today - timedelta(days=BEHIND_DAYS)
    return [first + timedelta(days=n) for n in range(BEHIND_DAYS + AHEAD_DAYS)]


class Filler:
    """Books new patients into the free time of each provider's day, a consultation or a
    maintenance visit each, until the day is as full as drawn."""

    def __init__(self, demo: DemoClinic, providers, first_index: int) -> None:
        self.demo = demo
        self.providers = providers
        self.next_index = first_index
        self.placeholder = 0
        self.booked: list[Appointment] = []

    def run(self) -> list[Appointment]:
        for day in days_to_fill(self.demo.today):
            for provider in self.providers:
                span = self.demo.diary.working_span(provider, day)
                if span is not None:
                    self._fill_day(provider, span)
        return self.booked

    def _fill_day(self, provider, span: tuple[datetime, datetime]) -> None:
        demo = self.demo
        working = int((span[1] - span[0]).total_seconds() // 60)
        target = working * demo.rng.uniform(*FILL_SHARE)
        starts = [span[0] + timedelta(minutes=m) for m in range(0, working, 15)]
        demo.rng.shuffle(starts)
        day = span[0].astimezone(demo.tz).date()
        for start in starts:
            if demo.diary.provider_minutes(provider, day) >= target:
                return
            consult = demo.rng.random() < 0.5
            shape = demo.consult_shape if consult else demo.session_shape(["face"])
            self.placeholder -= 1  # the patient is created only once the time is found
            spec = demo.diary.try_at(start, shape, self.placeholder, "consultation" if consult else "maintenance",
                                     provider)
            if spec is not None:
                self._book(provider, spec, consult)

    def _book(self, provider, spec, consult: bool) -> None:
        demo = self.demo
        patient = patient_create(demo.rng, self.next_index)
        self.next_index += 1
        if not consult:
            self.booked += demo.book(patient, [spec])
            visits_advance(demo, self.booked[-1:], ["face"], Decimal("0.75"))
            return
        consultation = Consultation.objects.create(patient=patient)
        visit = demo.book(patient, [spec], consultation=consultation)[0]
        self.booked.append(visit)
        if visit.ends_at < demo.now:
            # Seen already: assessed eligible, the series still to plan.
            Appointment.objects.filter(pk=visit.pk).update(
                status="completed", checked_in_at=visit.starts_at, completed_at=visit.ends_at)
            Consultation.objects.filter(pk=consultation.pk).update(
                provider=provider, concerns=patient.skin_concerns, assessed_at=visit.ends_at)
            consultation.assessed_at = visit.ends_at
            consultation_recommend(consultation, patient, provider, 3 + self.next_index % 4, ["face"],
                                   Decimal("0.75"))


def waitlist_fill(demo: DemoClinic, filler: Filler, patients: list[Patient]) -> None:
    """Eight patients waiting; two freed slots offered to those waiting longest for them."""
    ahead = [v for v in filler.booked if v.starts_at > demo.now + timedelta(days=1)]
    freed = [next(v for v in ahead if v.kind == kind) for kind in ("consultation", "maintenance")]
    for number, patient in enumerate(patients[:8]):
        kind = ("consultation", "maintenance")[number % 2]
        WaitlistEntry.objects.create(
            patient=patient, location=demo.location, kind=kind,
            earliest_date=demo.today, latest_date=demo.today + timedelta(days=AHEAD_DAYS + 7 * (number % 3)),
            provider=None if number % 3 else next((v.provider for v in freed if v.kind == kind), None),
            preferred_times=[] if number < 4 else [("morning", "afternoon")[number % 2]],
            notes="Would take a cancellation at short notice." if number % 2 else "",
        )
    for visit in freed:
        Appointment.objects.filter(pk=visit.pk).update(
            status="cancelled", cancel_reason="Patient unwell.", cancelled_at=demo.now)
        visit.refresh_from_db()
        for offer in waitlist_offer_slot(appointment=visit, now=demo.now):
            offer.save()


def reminders_fill(demo: DemoClinic) -> None:
    """Reminders due for the visits ahead (as booking writes them), a sent history for the
    week behind, and maintenance prompts for every completed series."""
    ahead = Appointment.objects.filter(location=demo.location, starts_at__gte=demo.now)
    reminders_sync_for_appointments(appointments=list(ahead))
    Reminder.objects.filter(patient__appointments__location=demo.location, status="pending",
                            due_at__lte=demo.now).update(status="sent", sent_at=demo.now)
    behind = Appointment.objects.filter(location=demo.location, starts_at__lt=demo.now,
                                        starts_at__gte=demo.now - timedelta(days=10)).select_related("patient")
    history = []
    for visit in behind:
        epoch = int(visit.starts_at.timestamp())
        for lead in (72, 24):
            due = visit.starts_at - timedelta(hours=lead)
            history.append(Reminder(
                key=f"pre_visit:{visit.pk}:{lead}h:{epoch}", kind=Reminder.Kind.PRE_VISIT, slot=f"lead:{lead}",
                channel=visit.patient.preferred_channel, patient=visit.patient, appointment=visit, due_at=due,
                visit_starts_at=visit.starts_at, status="sent", sent_at=due, attempts=1,
                payload={"lead_hours": lead}))
    Reminder.objects.bulk_create(history, ignore_conflicts=True)
    for series in TreatmentSeries.objects.filter(location=demo.location, status="completed").select_related(
            "patient", "protocol"):
        last = series.appointments.filter(kind__in=["session", "maintenance"], status="completed").order_by(
            "-starts_at").first()
        if last is not None:
            maintenance_chain_start(patient=series.patient, series=series, protocol=series.protocol,
                                    after=last.starts_at, chain=f"series:{series.pk}", now=demo.now)


__all__ = ["Filler", "Shape", "days_to_fill", "reminders_fill", "waitlist_fill"]
