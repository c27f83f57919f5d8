"""A consultation a new patient booked on the clinic's public page, through the same
services as /book/<location>/: the time held, the code sent, the code entered."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from clinic.models import Provider
from scheduling.reminders.booking_codes import online_booking_code
from scheduling.services.availability import availability_find
from scheduling.services.online_booking import NOTICE, OnlineDetails, online_booking_confirm, online_booking_request

from .stories import DemoClinic

DETAILS = OnlineDetails(
    first_name="Nia", last_name="Okafor", date_of_birth=datetime(1991, 4, 12).date(), email="nia.okafor@example.com",
    phone="", consent_email=True, consent_sms=False, code_channel="email",
)


def online_booking_show(demo: DemoClinic) -> None:
    """The first free consultation two days after the demo's day, booked online; nothing
    when that time has already passed on the real clock (a demo seeded around a past day)."""
    day = demo.today + timedelta(days=2)
    start = datetime.combine(day, time.min, demo.tz)
    slots = availability_find(location=demo.location, kind="consultation", start=start, end=start + timedelta(days=1),
                              limit=1)
    if not slots or slots[0].start < timezone.now() + NOTICE:
        return
    slot = slots[0]
    booking = online_booking_request(
        location=demo.location, provider=Provider.objects.get(pk=slot.provider_id),
        room=None, starts_at=slot.start, details=DETAILS, address=None,
    )
    online_booking_confirm(booking_id=booking.pk, code=online_booking_code(booking.pk))
