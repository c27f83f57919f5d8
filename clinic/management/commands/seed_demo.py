"""Loads a demo clinic: one location, four providers, three rooms, forty patients, and
series in every stage, with past and future visits. Running it again changes nothing."""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinic import roles
from clinic.models import Closure, Location, OpeningHours, Provider, Room, TimeOff, WorkingHours
from patients.choices import Contraindication, SideEffect, SkinConcern
from patients.models import Consultation, Patient, RecommendedArea
from scheduling.models import Appointment, TreatedArea, TreatmentProtocol, TreatmentSeries
from scheduling.services.booking import VisitSpec, appointments_book
from scheduling.services.visits import side_effect_hold_reason

DEMO_SLUG = "needlepoint-demo"
TZ_NAME = "Europe/London"

DEMO_LOGINS = [
    # (username, password, role, display name)
    ("admin", "needlepoint-admin", roles.CLINIC_ADMIN, "Clinic admin"),
    ("frontdesk", "needlepoint-desk", roles.FRONT_DESK, "Front desk"),
    ("dr.patel", "needlepoint-provider", roles.PROVIDER, "Dr Asha Patel"),
]
OTHER_PROVIDERS = [
    ("nurse.okafor", "Chidi Okafor", "Aesthetic nurse practitioner"),
    ("dr.lindqvist", "Dr Maja Lindqvist", "Dermatologist"),
    ("nurse.reyes", "Sofia Reyes", "Aesthetic nurse"),
]
FIRST_NAMES = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Freya", "Emily",
               "Noah", "Leo", "Arthur", "Oscar", "Muhammad", "Priya", "Aisha", "Chen", "Yuki", "Zara"]
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
              "Robinson", "Thompson", "Evans", "Walker", "Okoye", "Nguyen", "Kowalski", "Haddad", "Murphy", "Singh"]


@dataclass(frozen=True)
class Shape:
    prep: int
    provider: int
    turnover: int
    needs_room: bool = True


class Diary:
    """Who is busy when, so the demo books no clash (the service would refuse one)."""

    def __init__(self, tz: ZoneInfo, providers: list[Provider], rooms: list[Room]) -> None:
        self.tz = tz
        self.providers = providers
        self.rooms = rooms
        self.busy: dict[tuple[str, int], list[tuple[datetime, datetime]]] = defaultdict(list)

    def _free(self, key: tuple[str, int], start: datetime, end: datetime) -> bool:
        return all(end <= s or start >= e for s, e in self.busy[key])

    def place(self, day: date, shape: Shape, patient_id: int, kind: str, provider: Provider,
              number: int | None = None) -> VisitSpec:
        """The first time that day, on a 15-minute grid within 09:00-17:00, that suits everyone,
        moving to the next weekday if the day is full."""
        for offset in range(0, 21):
            current = day + timedelta(days=offset)
            if current.weekday() >= 5:
                continue
            for minutes in range(9 * 60, 17 * 60, 15):
                start = datetime.combine(current, time(minutes // 60, minutes % 60), self.tz)
                p_start = start + timedelta(minutes=shape.prep)
                p_end = p_start + timedelta(minutes=shape.provider)
                room_end = p_end + timedelta(minutes=shape.turnover)
                if room_end.astimezone(self.tz).time() > time(18, 0):
                    break
                if not (self._free(("provider", provider.pk), p_start, p_end)
                        and self._free(("patient", patient_id), start, p_end)):
                    continue
                room = next((r for r in self.rooms if self._free(("room", r.pk), start, room_end)), None)
                if shape.needs_room and room is None:
                    continue
                self.busy[("provider", provider.pk)].append((p_start, p_end))
                self.busy[("patient", patient_id)].append((start, p_end))
                if shape.needs_room:
                    self.busy[("room", room.pk)].append((start, room_end))
                return VisitSpec(kind=kind, provider_id=provider.pk, room_id=room.pk if shape.needs_room else None,
                                 starts_at=start, provider_starts_at=p_start, provider_ends_at=p_end, ends_at=p_end,
                                 room_ends_at=room_end, session_number=number)
        raise RuntimeError(f"The demo diary is full around {day}")


# Stages, by patient: the first 30 have series; the rest are at the consultation stage.
SERIES_STAGES = (["completed"] * 6 + ["in_progress"] * 8 + ["just_booked"] * 5 + ["on_hold"] * 3
                 + ["paused"] * 3 + ["cancelled"] * 3 + ["maintenance_due"] * 2)
CONSULTATION_STAGES = ["pending", "deferred", "not_eligible"]


def stage_for(index: int) -> str:
    return SERIES_STAGES[index] if index < len(SERIES_STAGES) else CONSULTATION_STAGES[index % 3]


def first_session_day(stage: str, index: int, today: date) -> date:
    """When the series starts (or would), chosen so that today falls at the stage the demo shows."""
    return {
        "completed": today - timedelta(days=230 + index), "maintenance_due": today - timedelta(days=260),
        "in_progress": today - timedelta(days=40 + 3 * index), "on_hold": today - timedelta(days=35),
        "paused": today - timedelta(days=45), "cancelled": today - timedelta(days=50),
        "just_booked": today + timedelta(days=5 + index), "deferred": today, "not_eligible": today,
    }[stage]


@dataclass
class DemoClinic:
    """What every patient's story needs: the clinic, its diary, the clock and the seeded draws.

    The one rng is shared by every story, so the stories must run in patient order for the
    demo to come out the same each time."""

    rng: random.Random
    tz: ZoneInfo
    today: date
    protocol: TreatmentProtocol
    location: Location
    admin: User
    diary: Diary

    @property
    def consult_shape(self) -> Shape:
        return Shape(0, self.protocol.consultation_minutes, 0)

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


class Command(BaseCommand):
    help = "Load a demo clinic with providers, rooms, patients and series in every stage (safe to run twice)."

    def handle(self, *args, **options) -> None:
        users = self._logins()
        if Location.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("The demo clinic is already loaded; nothing to add.")
        else:
            with transaction.atomic():
                self._clinic(users)
            self.stdout.write(self.style.SUCCESS("Loaded the demo clinic."))
        self.stdout.write("Demo logins (username / password):")
        for username, password, role, _ in DEMO_LOGINS:
            self.stdout.write(f"  {role:<13} {username} / {password}")

    def _logins(self) -> dict[str, User]:
        users = {}
        other_logins = [(u, "needlepoint-provider", roles.PROVIDER, n) for u, n, _ in OTHER_PROVIDERS]
        for username, password, role, display in DEMO_LOGINS + other_logins:
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            if created:
                user.set_password(password)
                first, _, last = display.replace("Dr ", "").partition(" ")
                user.first_name, user.last_name = first, last
                user.is_staff = role == roles.CLINIC_ADMIN
                user.is_superuser = role == roles.CLINIC_ADMIN
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _clinic(self, users: dict[str, User]) -> None:
        # The order of the steps below fixes the primary keys and the order of the rng draws,
        # so the demo comes out identical on every run; keep it.
        rng = random.Random(20261121)
        tz = ZoneInfo(TZ_NAME)
        today = timezone.localdate(timezone=tz)
        protocol = TreatmentProtocol.objects.get(slug="facial-microneedling")
        location = self._location(tz, today)
        rooms = self._rooms(location)
        providers = self._providers(users, location, tz, today)
        patients = self._patients(rng)
        demo = DemoClinic(rng=rng, tz=tz, today=today, protocol=protocol, location=location, admin=users["admin"],
                          diary=Diary(tz, providers, rooms))
        for index, patient in enumerate(patients):
            self._story(demo, index, patient, providers[index % len(providers)], stage_for(index))

    def _location(self, tz: ZoneInfo, today: date) -> Location:
        """The clinic with its opening hours, Christmas closure and a training afternoon in ten days."""
        location = Location.objects.create(
            name="Needlepoint Clinic Marylebone", slug=DEMO_SLUG, time_zone=TZ_NAME,
            address="12 Welbeck Street, London W1G 9XL", phone="+442079460000", email="hello@example.com",
        )
        for weekday in range(5):
            OpeningHours.objects.create(location=location, weekday=weekday, opens=time(9), closes=time(18))
        OpeningHours.objects.create(location=location, weekday=5, opens=time(9), closes=time(14))
        christmas = date(today.year, 12, 25)
        Closure.objects.create(location=location, reason="Christmas and Boxing Day",
                               starts_at=datetime.combine(christmas, time(0), tz),
                               ends_at=datetime.combine(christmas + timedelta(days=2), time(0), tz))
        training = today + timedelta(days=10)
        Closure.objects.create(location=location, reason="Staff training afternoon",
                               starts_at=datetime.combine(training, time(13), tz),
                               ends_at=datetime.combine(training, time(18), tz))
        return location

    def _rooms(self, location: Location) -> list[Room]:
        return [Room.objects.create(location=location, name=name)
                for name in ("Treatment room 1", "Treatment room 2", "Consulting room")]

    def _providers(self, users: dict[str, User], location: Location, tz: ZoneInfo, today: date) -> list[Provider]:
        """Four providers, each with one weekday off and every other one on Saturdays; one takes
        a week's leave in three weeks, so the planner has an absence to work around."""
        providers = [Provider.objects.create(user=users["dr.patel"], display_name="Dr Asha Patel",
                                             title="Aesthetic doctor")]
        for username, name, title in OTHER_PROVIDERS:
            providers.append(Provider.objects.create(user=users[username], display_name=name, title=title))
        for index, provider in enumerate(providers):
            for weekday in range(5):
                if weekday == index:  # each provider has one weekday off
                    continue
                WorkingHours.objects.create(provider=provider, location=location, weekday=weekday,
                                            starts=time(9), ends=time(18))
            if index % 2 == 0:
                WorkingHours.objects.create(provider=provider, location=location, weekday=5,
                                            starts=time(9), ends=time(14))
        holiday = today + timedelta(days=21)
        TimeOff.objects.create(provider=providers[1], reason="Annual leave",
                               starts_at=datetime.combine(holiday, time(0), tz),
                               ends_at=datetime.combine(holiday + timedelta(days=7), time(0), tz))
        return providers

    def _patients(self, rng: random.Random) -> list[Patient]:
        """Forty patients with a spread of channels, consents, Fitzpatrick types and concerns."""
        patients = []
        for index in range(40):
            first, last = FIRST_NAMES[index % 20], LAST_NAMES[(index * 7) % 20]
            prefers_sms = index % 3 == 0
            patients.append(Patient.objects.create(
                first_name=first, last_name=last,
                date_of_birth=date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
                email=f"{first.lower()}.{last.lower()}{index}@example.com",
                phone=f"+4477009{index:05d}",
                preferred_channel="sms" if prefers_sms else "email",
                consent_email=index % 7 != 0, consent_sms=prefers_sms or index % 4 == 0,
                fitzpatrick_type=1 + index % 6,
                skin_concerns=rng.sample(list(SkinConcern.values), k=1 + index % 3),
            ))
        return patients

    def _story(self, demo: DemoClinic, index: int, patient: Patient, provider: Provider, stage: str) -> None:
        """One patient's path through the clinic, as far as their stage: consultation, outcome,
        series, and the visits brought up to today."""
        if stage == "pending":
            self._pending_consultation(demo, index, patient, provider)
            return
        sessions = 3 + index % 4
        first_session = first_session_day(stage, index, demo.today)
        # Every assessed consultation lies in the past.
        consulted_on = min(first_session - timedelta(days=14), demo.today - timedelta(days=2 + index % 5))
        consultation = self._assessed_consultation(demo, patient, provider, consulted_on)
        if stage in ("deferred", "not_eligible"):
            self._not_treated(demo, consultation, stage)
            return
        areas = ["face"] if index % 3 else ["face", "neck"]
        depth = Decimal("1.50") if SkinConcern.ACNE_SCARS in patient.skin_concerns else Decimal("0.75")
        self._recommend(consultation, patient, provider, sessions, areas, depth)
        series = TreatmentSeries.objects.create(
            patient=patient, consultation=consultation, protocol=demo.protocol, location=demo.location,
            provider=provider, session_count=sessions, created_by=demo.admin,
        )
        specs = self._series_visits(demo, index, patient, provider, stage, sessions, areas, first_session)
        booked = demo.book(patient, specs, series=series)
        self._advance(booked, stage, series, areas, depth, demo.rng)

    def _pending_consultation(self, demo: DemoClinic, index: int, patient: Patient, provider: Provider) -> None:
        """A consultation booked in the coming days; every other such patient missed one last week."""
        if index % 2:  # missed an earlier consultation, then booked again
            missed = Consultation.objects.create(patient=patient)
            visit = demo.book_consultation(patient, provider, demo.today - timedelta(days=9), missed)
            Appointment.objects.filter(pk=visit.pk).update(status="no_show")
        consultation = Consultation.objects.create(patient=patient)
        demo.book_consultation(patient, provider, demo.today + timedelta(days=1 + index % 10), consultation)

    def _assessed_consultation(self, demo: DemoClinic, patient: Patient, provider: Provider,
                               consulted_on: date) -> Consultation:
        """A consultation held on `consulted_on` and assessed when it ended; the outcome comes next."""
        consultation = Consultation.objects.create(patient=patient, provider=provider,
                                                   concerns=patient.skin_concerns)
        visit = demo.book_consultation(patient, provider, consulted_on, consultation)
        Appointment.objects.filter(pk=visit.pk).update(
            status="completed", checked_in_at=visit.starts_at, completed_at=visit.ends_at)
        consultation.assessed_at = visit.ends_at
        consultation.save(update_fields=["assessed_at"])
        return consultation

    def _not_treated(self, demo: DemoClinic, consultation: Consultation, stage: str) -> None:
        """Record a deferral (active acne, re-assess in two months) or an ineligibility (rosacea)."""
        deferred = stage == "deferred"
        Consultation.objects.filter(pk=consultation.pk).update(
            outcome=stage, contraindications=[Contraindication.ACTIVE_ACNE] if deferred else [Contraindication.ROSACEA],
            deferred_until=demo.today + timedelta(days=60) if deferred else None,
            clinical_notes="Re-assess once cleared." if deferred else "Microneedling not advised.",
        )

    def _recommend(self, consultation: Consultation, patient: Patient, provider: Provider, sessions: int,
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

    def _series_visits(self, demo: DemoClinic, index: int, patient: Patient, provider: Provider, stage: str,
                       sessions: int, areas: list[str], first_session: date) -> list[VisitSpec]:
        """The whole series as the diary fits it: each session with its healing check, sessions at
        the protocol's interval, then the review, and a maintenance visit after a completed series."""
        protocol, tz = demo.protocol, demo.tz
        shape = demo.session_shape(areas)
        check_shape = Shape(0, protocol.healing_check_minutes, 0, needs_room=False)
        specs = []
        day = first_session
        for number in range(1, sessions + 1):
            spec = demo.diary.place(day, shape, patient.pk, "session", provider, number)
            specs.append(spec)
            check_day = spec.starts_at.astimezone(tz).date() + timedelta(days=protocol.healing_check_min_days)
            specs.append(demo.diary.place(check_day, check_shape, patient.pk, "healing_check", provider, number))
            day = spec.starts_at.astimezone(tz).date() + timedelta(days=protocol.target_interval_days)
        review_day = specs[-2].starts_at.astimezone(tz).date() + timedelta(days=protocol.review_min_days)
        specs.append(demo.diary.place(review_day, Shape(0, protocol.review_minutes, 0), patient.pk, "review", provider))
        if stage == "completed":
            last_visit_day = specs[-1].starts_at.astimezone(tz).date()
            maintenance_day = last_visit_day + timedelta(days=protocol.maintenance_min_days)
            if maintenance_day < demo.today:
                maintenance_day = demo.today + timedelta(days=3 + index)
            specs.append(demo.diary.place(maintenance_day, shape, patient.pk, "maintenance", provider))
        return specs

    def _advance(self, booked: list[Appointment], stage: str, series: TreatmentSeries, areas: list[str],
                 depth: Decimal, rng: random.Random) -> None:
        """Bring the booked visits to where they would be today: done, missed, cancelled."""
        now = timezone.now()
        status_reason = ""
        for appointment in booked:
            if appointment.ends_at < now:
                missed = appointment.kind == "healing_check" and rng.random() < 0.15
                if missed:
                    appointment.status = "no_show"
                else:
                    appointment.status = "completed"
                    appointment.checked_in_at = appointment.starts_at
                    appointment.completed_at = appointment.ends_at
                    if appointment.kind in ("session", "maintenance"):
                        appointment.device = "pen"
                        effects = [SideEffect.REDNESS, SideEffect.DRYNESS][: 1 + rng.randrange(2)]
                        appointment.side_effects = effects
                        for area in areas:
                            TreatedArea.objects.create(appointment=appointment, area=area, depth_mm=depth)
                appointment.save()
        future = [a for a in booked if a.starts_at >= now]
        if stage == "on_hold":
            done = (a for a in booked if a.kind == "session" and a.status == "completed")
            last_done = max(done, key=lambda a: a.starts_at)
            last_done.side_effects = [SideEffect.REDNESS, SideEffect.HYPERPIGMENTATION]
            last_done.save()
            status_reason = side_effect_hold_reason(last_done.session_number)
        elif stage in ("paused", "cancelled"):
            reason = "Patient travelling for two months." if stage == "paused" else "Patient moved away."
            status_reason = reason
            for appointment in future:
                appointment.status = "cancelled"
                appointment.cancel_reason = reason
                appointment.cancelled_at = now
                appointment.save()
        elif stage in ("in_progress", "just_booked") and future and rng.random() < 0.3:
            # A late cancellation of a follow-up: the slot is freed and marked late.
            victim = next((a for a in future if a.kind == "healing_check"), None)
            if victim is not None:
                victim.status = "cancelled"
                victim.cancel_reason = "Patient unwell."
                victim.cancelled_at = now
                victim.late_cancellation = True
                victim.save()
        status = {"completed": "completed", "maintenance_due": "completed", "on_hold": "on_hold",
                  "paused": "paused", "cancelled": "cancelled"}.get(stage, "active")
        TreatmentSeries.objects.filter(pk=series.pk).update(status=status, status_reason=status_reason)
