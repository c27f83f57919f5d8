"""Opting out: a patient withdraws consent to a channel from an unsubscribe link."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from clinic.audit import audit_record
from patients.choices import Channel
from patients.models import Patient


def reminders_opt_out(*, patient: Patient, channels: Iterable[str], actor_label: str = "patient link") -> list[str]:
    """Withdraw the patient's consent for these channels; messages still waiting are then
    skipped when due (or go by a channel the patient still consents to)."""
    fields = {Channel.EMAIL: "consent_email", Channel.SMS: "consent_sms"}
    changed = []
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        for channel in channels:
            field_name = fields[channel]
            if getattr(locked, field_name):
                setattr(locked, field_name, False)
                changed.append(field_name)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=None,
                action="opt_out",
                obj=locked,
                changes={name: [True, False] for name in changed},
                actor_label=actor_label,
            )
    for name in changed:
        setattr(patient, name, False)
    return changed
