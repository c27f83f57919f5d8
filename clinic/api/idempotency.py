"""Idempotency-Key on POSTs that create or change things.

The key is claimed (inserted) inside the same transaction as the change, so a concurrent
retry waits on the unique index until the first request commits and then replays its
answer; a request that fails rolls the claim back with everything else, so it may be
retried. Keys are kept per user for settings.IDEMPOTENCY_KEY_HOURS."""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from clinic.models import IdempotencyKey

from .errors import error_body

HEADER = "Idempotency-Key"


def _canonical(data) -> str:
    return json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))


def request_hash(data) -> str:
    return hashlib.sha256(_canonical(data).encode()).hexdigest()


def _plain(data):
    return json.loads(_canonical(data))


def _bad_key(message: str) -> Response:
    return Response(error_body(400, message, fields={HEADER: [message]}), status=400)


def idempotent(method):
    """Decorate a DRF view's post(): with the header, the first successful answer is
    stored and replayed for the same key, body and endpoint; a different body or
    endpoint with the same key is a 422 and changes nothing."""

    @wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            return _bad_key("Send 1 to 255 printable characters, e.g. a UUID.")
        endpoint = f"{request.method} {request.path}"[:255]
        digest = request_hash(request.data)
        user = request.user
        with transaction.atomic():
            cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
            IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=cutoff).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=user, key=key, endpoint=endpoint, request_hash=digest, response_status=0, response_body={}
                    )
            except IntegrityError:
                # Another request with this key committed first (or we waited for it to).
                earlier = IdempotencyKey.objects.get(user=user, key=key)
                if earlier.endpoint != endpoint or earlier.request_hash != digest:
                    return Response(
                        error_body(
                            422,
                            "This Idempotency-Key was already used for a different request; use a new key.",
                            first_request=earlier.endpoint,
                        ),
                        status=422,
                    )
                return Response(
                    earlier.response_body, status=earlier.response_status, headers={"Idempotent-Replayed": "true"}
                )
            response = method(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = _plain(response.data)
                record.save(update_fields=["response_status", "response_body"])
            else:
                # Nothing to replay: forget the claim so the client may try again.
                transaction.set_rollback(True)
        return response

    wrapper.idempotent = True
    return wrapper
