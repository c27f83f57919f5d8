"""The one-time code of a consultation booked online, as the dispatcher sends it.

The person is not a patient yet, so the message goes to the email or phone they typed,
by the channel they chose for the code, at once (they are waiting for it: no quiet
hours), and only while their request still waits for the code."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.template import Context
from django.urls import reverse

from ..models import MessageTemplate, OnlineBooking, Reminder
from . import config
from .branding import branding_for, email_html_wrap, email_text_wrap
from .channels import MailSession, email_send
from .errors import DeliveryError
from .rendering import RenderedMessage, _template, local_time_text
from .send_checks import Decision
from .sms import sms_backend

LINK_SALT = "scheduling.online-booking.link"


def online_booking_code(booking_id) -> str:
    """The booking's 6-digit code, worked out from its (random) id with the server's secret
    whenever it is needed: it is written nowhere, so nobody reading the outbox or the
    admin can read it; only the message sent to the person carries it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"online-booking-code:{booking_id}".encode(), hashlib.sha256)
    return f"{int(digest.hexdigest(), 16) % 10**6:06d}"


def online_booking_link(booking: OnlineBooking) -> str:
    """The link in the code's message, carrying the code; made at send time, like the code."""
    token = online_booking_link_token(booking_id=booking.pk, code=online_booking_code(booking.pk))
    return config.site_url() + reverse("online-booking:link", kwargs={"slug": booking.location.slug, "token": token})


def online_booking_link_token(*, booking_id, code: str) -> str:
    return signing.dumps({"b": str(booking_id), "c": code}, salt=LINK_SALT)


def booking_code_decision(row: Reminder, now: datetime) -> Decision:
    booking = row.online_booking
    if booking is None or booking.status != OnlineBooking.Status.PENDING:
        return Decision("cancel", "The online booking no longer waits for its code.")
    if booking.expires_at <= now:
        return Decision("cancel", "The time held for the online booking has expired.")
    return Decision("send", channel=row.channel)


def _context(row: Reminder) -> dict:
    booking = row.online_booking
    location = booking.location
    brand = branding_for(location)
    return {
        "first_name": booking.first_name,
        "clinic": location.name,
        "clinic_phone": location.phone,
        "clinic_address": ", ".join(brand.address_lines),
        "time": local_time_text(booking.starts_at, ZoneInfo(location.time_zone)),
        # Worked out at send time: the outbox row holds neither the code nor the link.
        "code": online_booking_code(booking.pk),
        "link": online_booking_link(booking),
        "minutes": row.payload.get("minutes", 10),
    }


def booking_code_render(row: Reminder, template: MessageTemplate) -> RenderedMessage:
    context = _context(row)
    brand = branding_for(row.online_booking.location)
    body_html = _template(template, "email_html").render(Context(context))
    text = _template(template, "email_text").render(Context(context, autoescape=False))
    sms = " ".join(_template(template, "sms_body").render(Context(context, autoescape=False)).split())
    return RenderedMessage(
        subject=" ".join(_template(template, "email_subject").render(Context(context, autoescape=False)).split()),
        text=email_text_wrap(body=text, branding=brand, unsubscribe_url=""),
        html=email_html_wrap(body=body_html, branding=brand, unsubscribe_url=""),
        sms=sms,
        ics=None,
        unsubscribe_url="",
        link=context["link"],
        body_html=body_html,
    )


def booking_code_deliver(row: Reminder, channel: str, template: MessageTemplate | None, mail: MailSession) -> str:
    if template is None:
        raise DeliveryError("There is no message template for the online booking code.")
    rendered = booking_code_render(row, template)
    booking = row.online_booking
    if channel == "sms":
        return sms_backend().send(to=str(booking.phone), body=rendered.sms, key=row.key)
    return email_send(reminder=row, rendered=rendered, session=mail, to=booking.email)
