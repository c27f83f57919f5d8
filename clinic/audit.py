"""The audit trail: every service that changes an appointment or a series writes here."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models

from .models import AuditEntry


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


def audit_record(
    *, actor, action: str, obj: models.Model, changes: dict | None = None, actor_label: str = ""
) -> AuditEntry:
    """Record one change; called inside the service's transaction so it commits with it."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        changes={key: _plain(value) for key, value in (changes or {}).items()},
    )


def audit_changes(before: dict, after: dict) -> dict:
    """Only the fields that changed, as {field: [old, new]}."""
    return {key: [_plain(before.get(key)), _plain(value)] for key, value in after.items() if before.get(key) != value}
