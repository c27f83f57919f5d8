"""Delivery by channel: email through Django's email framework (SMTP, the console, files
in development, or any provider through django-anymail), SMS through sms.py."""

from __future__ import annotations

import re
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from ..models import Reminder
from .errors import PermanentDeliveryError, TransientDeliveryError
from .reach import patient_phone
from .rendering import RenderedMessage
from .sms import sms_backend


def _message_id(key: str) -> str:
    # The same reminder always carries the same Message-ID, so a mail system that sees it
    # twice can tell it is one message.
    return f"<reminder.{re.sub(r'[^A-Za-z0-9.-]', '.', key)}@needlepoint>"


class MailSession:
    """One connection to the mail server for a whole send batch, opened on first use and
    dropped after a failure so the next message starts afresh."""

    def __init__(self) -> None:
        self._connection = None

    def connection(self):
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not fail the batch
                pass
            self._connection = None


def email_send(
    *, reminder: Reminder, rendered: RenderedMessage, session: MailSession | None = None, to: str | None = None
) -> str:
    """Send one email: to the patient, or to `to` (an online booking's address, before
    there is a patient)."""
    own_session = session is None
    session = session or MailSession()
    try:
        return _email_send(reminder=reminder, rendered=rendered, session=session, to=to or reminder.patient.email)
    except Exception:
        session.close()  # the next message reconnects
        raise
    finally:
        if own_session:
            session.close()


def _email_send(*, reminder: Reminder, rendered: RenderedMessage, session: MailSession, to: str) -> str:
    headers = {"Message-ID": _message_id(reminder.key)}
    if rendered.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=session.connection(),
    )
    message.attach_alternative(rendered.html, "text/html")
    if rendered.ics:
        message.attach("visit.ics", rendered.ics, "text/calendar; method=PUBLISH; charset=utf-8")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        raise PermanentDeliveryError(f"Email refused: {error}") from error
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentDeliveryError(f"Email refused ({error.smtp_code}): {error.smtp_error!r}") from error
        raise TransientDeliveryError(f"Mail server said {error.smtp_code}: {error.smtp_error!r}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientDeliveryError(f"Mail server unreachable: {error}") from error
    except AnymailRecipientsRefused as error:
        raise PermanentDeliveryError(f"Email refused by the provider: {error}") from error
    except AnymailAPIError as error:
        status = getattr(error, "status_code", None) or 0
        if 400 <= status < 500 and status != 429:
            raise PermanentDeliveryError(f"Email refused by the provider ({status}): {error}") from error
        raise TransientDeliveryError(f"Email provider unavailable: {error}") from error
    # A provider through anymail names the message by its own id, which its delivery
    # webhooks quote; SMTP and files keep our Message-ID.
    status = getattr(message, "anymail_status", None)
    return str(status.message_id) if status is not None and status.message_id else _message_id(reminder.key)


def sms_send(*, reminder: Reminder, body: str) -> str:
    return sms_backend().send(to=patient_phone(reminder.patient), body=body, key=reminder.key)


def channel_confirms_delivery(channel: str) -> bool:
    """Whether we can ask the channel afterwards if a message went out."""
    return channel == "sms" and sms_backend().confirms_delivery


def channel_delivered_keys(channel: str, keys: set[str]) -> set[str]:
    return sms_backend().delivered_keys(keys)
