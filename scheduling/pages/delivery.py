"""Delivery reports from the providers: django-anymail's tracking signal (its webhook
views check each provider's own authentication) and the SMS provider's status callback,
checked against the provider's signature. Each calls one service."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..reminders import config
from ..reminders.delivery import EMAIL_EVENTS, SMS_EVENTS, reminder_delivery_record


def anymail_tracking_received(sender, event, esp_name, **kwargs) -> None:
    """anymail's `tracking` signal: one normalised event from any email provider."""
    delivery = EMAIL_EVENTS.get(event.event_type)
    if delivery is None or not event.message_id:
        return
    detail = event.mta_response or event.description or event.reject_reason or ""
    reminder_delivery_record(
        provider_message_id=str(event.message_id),
        delivery=delivery,
        detail=f"{esp_name}: {detail}" if detail else esp_name,
        recipient=event.recipient or "",
        at=event.timestamp,
    )


def twilio_signature(*, url: str, params: dict[str, str], auth_token: str) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL it called followed by each
    posted name and value in name order, base64."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@csrf_exempt
@require_POST
def twilio_status_callback(request: HttpRequest) -> HttpResponse:
    """Twilio reports a text's status here (the send asked it to, with StatusCallback).
    The URL signed is the public one Twilio was given, not the one a proxy passed on."""
    params = {name: request.POST.get(name, "") for name in request.POST}
    url = config.site_url() + request.get_full_path()
    expected = twilio_signature(url=url, params=params, auth_token=settings.TWILIO_AUTH_TOKEN)
    given = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not hmac.compare_digest(expected, given):
        return HttpResponseForbidden("Signature does not match.")
    delivery = SMS_EVENTS.get(params.get("MessageStatus", ""))
    if delivery is not None and params.get("MessageSid"):
        detail = params.get("ErrorCode", "")
        reminder_delivery_record(
            provider_message_id=params["MessageSid"],
            delivery=delivery,
            detail=f"Twilio error {detail}" if detail else "Twilio",
        )
    return HttpResponse(status=204)
