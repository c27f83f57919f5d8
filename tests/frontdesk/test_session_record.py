"""Recording a session: the plan pre-filled, what the provider must know shown first,
choices in words, and a completed record amended by its provider with audit."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from clinic.models import AuditEntry
from patients.models import Consultation
from scheduling.models import Appointment
from scheduling.services import appointment_record_amend

pytestmark = pytest.mark.django_db


def _sessions(series):
    return list(series.appointments.filter(kind="session").order_by("session_number"))


def _record(client, visit, **extra):
    data = {"depth_face": "1.25", "device": "pen", "side_effects": ["redness"], "notes": "", **extra}
    return client.post(reverse("frontdesk:complete", args=[visit.pk]), data)


def test_the_record_is_prefilled_with_the_planned_areas_and_depths(world, doctor):
    first = _sessions(world["series"])[0]
    planned = {a.area: a.depth_mm for a in world["consultation"].recommended_areas.all()}
    world["clock"].move_to(first.provider_starts_at)
    body = doctor.get(reverse("frontdesk:visit", args=[first.pk])).content.decode()
    assert "Before you treat" in body and "Record the session" in body
    for area, depth in planned.items():
        assert f'name="depth_{area}" value="{depth}"' in body
    assert "Pinpoint bleeding" in body, "side effects are offered in words"


def test_the_provider_sees_open_cautions_and_the_last_sessions_depth_and_side_effects(world, doctor):
    first, second, _ = _sessions(world["series"])
    Consultation.objects.filter(pk=world["consultation"].pk).update(
        hyperpigmentation_caution=True, caution_acknowledged_at=None, caution_acknowledged_by=None)
    world["clock"].move_to(first.provider_starts_at)
    _record(doctor, first, side_effects=["pinpoint_bleeding"])
    world["clock"].move_to(second.provider_starts_at)
    body = doctor.get(reverse("frontdesk:visit", args=[second.pk])).content.decode()
    assert "Open: " in body
    assert "face 1.25 mm; side effects: Pinpoint bleeding" in body
    assert "pinpoint_bleeding" not in body.replace('value="pinpoint_bleeding"', "")


def test_a_completed_record_is_amended_by_its_provider_and_audited(world, doctor, other_doctor, desk):
    first = _sessions(world["series"])[0]
    world["clock"].move_to(first.provider_starts_at)
    _record(doctor, first)
    body = doctor.get(reverse("frontdesk:visit", args=[first.pk])).content.decode()
    assert "Amend the record" in body and 'name="depth_face" value="1.25"' in body
    amend = reverse("frontdesk:amend", args=[first.pk])
    assert desk.post(amend, {"depth_face": "1.0", "device": "pen"}).status_code == 403
    assert other_doctor.post(amend, {"depth_face": "1.0", "device": "pen"}).status_code in (403, 404)
    response = doctor.post(amend, {"depth_face": "1.0", "device": "pen", "side_effects": ["dryness"],
                                   "notes": "Depth corrected."})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.side_effects == ["dryness"] and first.notes == "Depth corrected."
    assert [a.depth_mm for a in first.treated_areas.all()] == [Decimal("1.00")]
    entry = AuditEntry.objects.get(action="record_amended", object_id=str(first.pk))
    assert entry.changes["side_effects"] == [["redness"], ["dryness"]]


def test_another_provider_cannot_amend_a_record_through_the_service(world, doctor, clinic):
    first = _sessions(world["series"])[0]
    world["clock"].move_to(first.provider_starts_at)
    _record(doctor, first)
    visit = Appointment.objects.get(pk=first.pk)
    with pytest.raises(PermissionDenied, match="Only the provider who gave this visit"):
        appointment_record_amend(appointment=visit, areas={"face": Decimal("1.0")}, device="pen", side_effects=[],
                                 notes="", amended_by=clinic["other_provider"].user)
