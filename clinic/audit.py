"""The audit trail: who did what, when, and from which address.

Every service that changes an appointment, a series, a hold or the waitlist writes here,
as do sign-ins (success and failure), API tokens issued and revoked, and every read of a
clinical record by a provider or a clinic admin. The address is the client's as
`client_address` reads it (behind NUM_PROXIES trusted proxies), kept for the request by
the middleware that calls `audit_address_set`."""

import ipaddress
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models

from .models import AuditEntry

_address: ContextVar[str | None] = ContextVar("audit_address", default=None)


def client_address(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or with NUM_PROXIES = n > 0 trusted proxies in
    front, the n-th address from the right of X-Forwarded-For (the one the outermost
    trusted proxy saw), as DRF's throttles count it. An address a client merely wrote
    into the header further left is never believed. Also django-axes's
    AXES_CLIENT_IP_CALLABLE, so lockouts key on the same address."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        candidate = hops[-min(proxies, len(hops))]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote


@contextmanager
def audit_address_set(address: str | None):
    """Entries written inside the block carry `address` (one request's)."""
    token = _address.set(address)
    try:
        yield
    finally:
        _address.reset(token)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _entry(*, actor, action: str, object_type: str, object_id: str, changes: dict | None, actor_label: str):
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes={key: _plain(value) for key, value in (changes or {}).items()},
        address=_address.get(),
    )


def audit_record(
    *, actor, action: str, obj: models.Model, changes: dict | None = None, actor_label: str = ""
) -> AuditEntry:
    """Record one change; called inside the service's transaction so it commits with it."""
    entry = _entry(actor=actor, action=action, object_type=obj._meta.model_name, object_id=str(obj.pk),
                   changes=changes, actor_label=actor_label)
    entry.save()
    return entry


def audit_sign_in(*, user, succeeded: bool, username: str = "", how: str) -> AuditEntry:
    """A sign-in (page, admin or API token), or a failed attempt naming the username tried."""
    entry = _entry(
        actor=user if succeeded else None,
        action="signed_in" if succeeded else "sign_in_failed",
        object_type="user",
        object_id=str(user.pk) if succeeded else "",
        changes={"how": how, **({} if succeeded else {"username": username[:150]})},
        actor_label="" if succeeded else (username[:150] or "anonymous"),
    )
    entry.save()
    return entry


def audit_clinical_reads(*, reader, records: Iterable[models.Model], via: str) -> None:
    """One entry per clinical record (visit or consultation) whose clinical fields a
    provider or a clinic admin was shown, in one insert."""
    seen, entries = set(), []
    for record in records:
        key = (record._meta.model_name, str(record.pk))
        if key in seen:
            continue
        seen.add(key)
        entries.append(_entry(actor=reader, action="clinical_record_read", object_type=key[0], object_id=key[1],
                              changes={"via": via[:200]}, actor_label=""))
    AuditEntry.objects.bulk_create(entries)


def audit_changes(before: dict, after: dict) -> dict:
    """Only the fields that changed, as {field: [old, new]}."""
    return {key: [_plain(before.get(key)), _plain(value)] for key, value in after.items() if before.get(key) != value}
