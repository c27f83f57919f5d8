"""The demo clinic `seed_demo` loads: one location, four providers, five rooms, patients
in every stage of their journey and a diary about two thirds full around a chosen day."""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from clinic.models import Location
from scheduling.models import TreatmentProtocol

from .busy_days import Filler, reminders_fill, waitlist_fill
from .online import online_booking_show
from .paperwork import consents_sign, intakes_answer
from .setup import (
    DEMO_LOGINS,
    DEMO_SLUG,
    TZ_NAME,
    diary_create,
    location_create,
    logins_ensure,
    patient_create,
    providers_create,
    room_repair_add,
)
from .stories import DemoClinic, stage_for, story_tell

STORY_PATIENTS = 40


def demo_load(*, today: date, now: datetime) -> bool:
    """Load the demo clinic around `today` (`now` is the moment it is seen at); False, and
    nothing written, when it is already there."""
    users = logins_ensure()
    if Location.objects.filter(slug=DEMO_SLUG).exists():
        return False
    with transaction.atomic():
        # The order of the steps below fixes the primary keys and the order of the rng
        # draws, so the demo comes out identical for the same day; keep it.
        rng = random.Random(20261121)
        tz = ZoneInfo(TZ_NAME)
        location = location_create(tz, today)
        diary = diary_create(location, tz)
        providers = providers_create(users, location, diary, today)
        patients = [patient_create(rng, index) for index in range(STORY_PATIENTS)]
        demo = DemoClinic(rng=rng, tz=tz, today=today, now=now,
                          protocol=TreatmentProtocol.objects.get(slug="facial-microneedling"),
                          location=location, admin=users["admin"], diary=diary)
        for index, patient in enumerate(patients):
            story_tell(demo, index, patient, providers[index % len(providers)])
        filler = Filler(demo, providers, first_index=STORY_PATIENTS)
        filler.run()
        waiting = [p for i, p in enumerate(patients) if stage_for(i) in ("pending", "in_progress", "completed")]
        waitlist_fill(demo, filler, waiting)
        # The first patient just booked has not signed the consent yet: the desk sees why
        # their first session cannot be checked in, and opens the signing page.
        just_booked = next(p for i, p in enumerate(patients) if stage_for(i) == "just_booked")
        consents_sign(demo, unsigned_patient_id=just_booked.pk)
        intakes_answer(demo)
        reminders_fill(demo)
        room_repair_add(location, tz, today)
        online_booking_show(demo)
    return True


__all__ = ["DEMO_LOGINS", "demo_load"]
