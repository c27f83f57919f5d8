"""The demo clinic's people and places: logins, the location with its hours and closures,
rooms, providers with their working hours and leave, and patients."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User

from clinic import roles
from clinic.models import Closure, Location, OpeningHours, Provider, Room, RoomOutOfService, TimeOff, WorkingHours
from patients.choices import SkinConcern
from patients.models import Patient

from .diary import Diary

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
               "Noah", "Leo", "Arthur", "Oscar", "Muhammad", "Priya", "Aisha", "Chen", "Yuki", "Zara",
               "Hannah", "Ruby", "Ella", "Poppy", "Evie", "Jack", "Harry", "Theo", "Imogen", "Nadia"]
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
              "Robinson", "Thompson", "Evans", "Walker", "Okoye", "Nguyen", "Kowalski", "Haddad", "Murphy", "Singh",
              "Clarke", "Hughes", "Green", "Hall", "Wood", "Khan", "Lewis", "Baker", "Turner", "Moreau"]
OPENING = {weekday: (time(9), time(18)) for weekday in range(5)} | {5: (time(9), time(14))}
ROOMS = {"treatment": ["Treatment room 1", "Treatment room 2", "Treatment room 3"],
         "consulting": ["Consulting room A", "Consulting room B"]}


def logins_ensure() -> dict[str, User]:
    """The demo logins, created once; a second run only makes sure of their groups."""
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


def location_create(tz: ZoneInfo, today: date) -> Location:
    """The clinic with its opening hours, Christmas closure (every year) and a training
    afternoon in ten days."""
    location = Location.objects.create(
        name="Needlepoint Clinic Marylebone", slug=DEMO_SLUG, time_zone=TZ_NAME,
        address="12 Welbeck Street, London W1G 9XL", phone="+442079460000", email="hello@example.com",
    )
    for weekday, (opens, closes) in OPENING.items():
        OpeningHours.objects.create(location=location, weekday=weekday, opens=opens, closes=closes)
    christmas = date(today.year, 12, 25)
    Closure.objects.create(location=location, reason="Christmas and Boxing Day", repeats_yearly=True,
                           starts_at=datetime.combine(christmas, time(0), tz),
                           ends_at=datetime.combine(christmas + timedelta(days=2), time(0), tz))
    training = today + timedelta(days=10)
    while training.weekday() not in OPENING:
        training += timedelta(days=1)
    Closure.objects.create(location=location, reason="Staff training afternoon",
                           starts_at=datetime.combine(training, time(13), tz),
                           ends_at=datetime.combine(training, time(18), tz))
    return location


def diary_create(location: Location, tz: ZoneInfo) -> Diary:
    rooms = {kind: [Room.objects.create(location=location, name=name) for name in names]
             for kind, names in ROOMS.items()}
    closures = list(location.closures.values_list("starts_at", "ends_at"))
    return Diary(tz, rooms, OPENING, closures)


def providers_create(users: dict[str, User], location: Location, diary: Diary, today: date) -> list[Provider]:
    """Four providers, each with one weekday off and every other one on Saturdays; one takes
    a week's leave in three weeks, so the planner has an absence to work around."""
    providers = [Provider.objects.create(user=users["dr.patel"], display_name="Dr Asha Patel",
                                         title="Aesthetic doctor")]
    for username, name, title in OTHER_PROVIDERS:
        providers.append(Provider.objects.create(user=users[username], display_name=name, title=title))
    for index, provider in enumerate(providers):
        for weekday, (opens, closes) in OPENING.items():
            if weekday == index or (weekday == 5 and index % 2):  # a weekday off; Saturdays for some
                continue
            WorkingHours.objects.create(provider=provider, location=location, weekday=weekday,
                                        starts=opens, ends=closes)
            diary.working[(provider.pk, weekday)] = (opens, closes)
    holiday = datetime.combine(today + timedelta(days=21), time(0), diary.tz)
    leave = TimeOff.objects.create(provider=providers[1], reason="Annual leave", starts_at=holiday,
                                   ends_at=holiday + timedelta(days=7))
    diary.time_off[providers[1].pk].append((leave.starts_at, leave.ends_at))
    return providers


def demo_phone(index: int) -> str:
    """A UK mobile number that phone-number checks accept (the 07700 900xxx drama range does not)."""
    return f"+4474001{index:05d}"


def patient_create(rng: random.Random, index: int) -> Patient:
    """One patient with a spread of channels, consents, Fitzpatrick types and concerns by index."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    prefers_sms = index % 3 == 0
    return Patient.objects.create(
        first_name=first, last_name=last,
        date_of_birth=date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
        email=f"{first.lower()}.{last.lower()}{index}@example.com",
        phone=demo_phone(index),
        preferred_channel="sms" if prefers_sms else "email",
        consent_email=index % 7 != 0, consent_sms=prefers_sms or index % 4 == 0,
        fitzpatrick_type=1 + index % 6,
        skin_concerns=rng.sample(list(SkinConcern.values), k=1 + index % 3),
    )


def room_repair_add(location: Location, tz: ZoneInfo, today: date) -> RoomOutOfService:
    """Treatment room 1 out of service on the morning of the third open day from today, set
    after the diary was booked: the visits in it then wait on the re-planning board."""
    day, found = today, 0
    while found < 3:
        day += timedelta(days=1)
        found += day.weekday() in OPENING
    room = Room.objects.get(location=location, name=ROOMS["treatment"][0])
    return RoomOutOfService.objects.create(room=room, reason="Laser servicing",
                                           starts_at=datetime.combine(day, time(9), tz),
                                           ends_at=datetime.combine(day, time(13), tz))
