"""The whole front-desk journey through the API, as a desk and a provider would drive it."""

import html
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from clinic.models import AuditEntry
from scheduling.models import Appointment, TreatmentSeries
from scheduling.patient_tasks import patient_tasks
from tests.builders import MONDAY, at

from .conftest import login

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()


def test_new_patient_to_maintenance_proposal(clinic, desk_user):
    location, provider = clinic["location"], clinic["provider"]
    with time_machine.travel(MONDAY, tick=False) as clock:
        # Tokens are issued now: they last API_TOKEN_MAX_AGE_DAYS from here.
        desk = login(desk_user, token=True)
        doctor = login(provider.user, token=True)
        # A new patient rings up.
        patient = _ok(
            desk.post(
                "/api/v1/patients/",
                {
                    "first_name": "Amelia",
                    "last_name": "Smith",
                    "date_of_birth": "1988-04-12",
                    "email": "amelia@example.com",
                    "phone": "07911 123456",
                    "preferred_channel": "sms",
                    "consent_sms": True,
                    "skin_concerns": ["acne_scars"],
                },
            ),
            201,
        )
        assert patient["phone"] == "+447911123456"
        found = _ok(desk.get("/api/v1/patients/", {"q": "07911123456"}))
        assert [p["id"] for p in found["results"]] == [patient["id"]]

        # The desk books her consultation tomorrow at 10:00.
        slots = _ok(
            desk.get(
                "/api/v1/availability/",
                {
                    "location": location.pk,
                    "kind": "consultation",
                    "provider": provider.pk,
                    "start": at(2, 8).isoformat(),
                    "end": at(3, 0).isoformat(),
                },
            )
        )
        assert any(datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00")) == at(2, 10) for s in slots)
        consultation = _ok(
            desk.post(
                "/api/v1/consultations/",
                {
                    "patient": patient["id"],
                    "location": location.pk,
                    "provider": provider.pk,
                    "starts_at": at(2, 10).isoformat(),
                },
            ),
            201,
        )
        assert consultation["outcome"] == "pending"
        assert consultation["visit"]["kind"] == "consultation"

        # At the consultation the provider finds her eligible: three sessions, face at 1.5 mm.
        clock.move_to(at(2, 10, 20))
        assessed = _ok(
            doctor.post(
                f"/api/v1/consultations/{consultation['id']}/assessment/",
                {
                    "fitzpatrick_type": 2,
                    "concerns": ["acne_scars"],
                    "recommended_sessions": 3,
                    "areas": {"face": "1.50"},
                    "clinical_notes": "Rolling acne scars on both cheeks.",
                },
            )
        )
        assert assessed["outcome"] == "eligible"
        assert assessed["clinical_notes"] == "Rolling acne scars on both cheeks."
        assert Appointment.objects.get(consultation_id=consultation["id"]).status == "completed"

        # The desk asks for a series, holds the best plan and confirms it.
        proposal = _ok(
            desk.post(
                "/api/v1/series/proposals/",
                {"consultation": consultation["id"], "location": location.pk, "preferences": {"provider": provider.pk}},
            )
        )
        best = proposal["best"]
        sessions = [v for v in best["visits"] if v["kind"] == "session"]
        assert len(sessions) == 3
        hold = _ok(desk.post("/api/v1/series/holds/", {"proposal": best["proposal"]}), 201)
        series = _ok(desk.post(f"/api/v1/series/holds/{hold['id']}/confirm/", HTTP_IDEMPOTENCY_KEY="journey-1"), 201)
        assert series["status"] == "active"
        assert "notes" not in series["appointments"][0], "the desk never sees clinical notes"
        visits = {(a["kind"], a["session_number"]): a for a in series["appointments"]}
        session = {n: visits[("session", n)] for n in (1, 2, 3)}
        # The healing check after each session and the series review come with the series.
        assert Counter(a["kind"] for a in series["appointments"]) == {"session": 3, "healing_check": 3, "review": 1}

        # Session 2 moves a week later; session 3 must follow to keep 4-6 weeks between them.
        old_2 = datetime.fromisoformat(session[2]["starts_at"].replace("Z", "+00:00"))
        old_3 = datetime.fromisoformat(session[3]["starts_at"].replace("Z", "+00:00"))
        new_2 = old_2 + timedelta(days=7)
        preview = _ok(
            desk.post(f"/api/v1/appointments/{session[2]['id']}/reschedule/preview/", {"starts_at": new_2.isoformat()})
        )
        assert preview["ok"] is True
        moved = {c["appointment"] for c in preview["changes"]}
        assert session[2]["id"] in moved and session[3]["id"] in moved
        assert Appointment.objects.get(pk=session[2]["id"]).starts_at == old_2, "a preview changes nothing"
        changed = _ok(
            desk.post(f"/api/v1/appointments/{session[2]['id']}/reschedule/", {"starts_at": new_2.isoformat()})
        )
        assert {a["id"] for a in changed} >= {session[2]["id"], session[3]["id"]}
        assert Appointment.objects.get(pk=session[2]["id"]).starts_at == new_2
        new_3 = Appointment.objects.get(pk=session[3]["id"]).starts_at
        assert new_3 != old_3 and timedelta(days=28) <= new_3 - new_2 <= timedelta(days=42)

        assert not Appointment.objects.filter(series_id=series["id"], status="cancelled").exists(), (
            "a move changes times, it cancels nothing"
        )
        check_2 = Appointment.objects.get(series_id=series["id"], kind="healing_check", session_number=2)
        assert timedelta(days=3) <= check_2.starts_at - new_2 <= timedelta(days=7), "the healing check follows"

        # The patient cannot make session 3: the desk cancels it.
        cancelled = _ok(desk.post(f"/api/v1/appointments/{session[3]['id']}/cancel/", {"reason": "Moving house"}))
        assert cancelled["status"] == "cancelled" and cancelled["late_cancellation"] is False

        # Session 1: she checks in and the provider records the treatment.
        first = Appointment.objects.get(pk=session[1]["id"])
        clock.move_to(first.starts_at + timedelta(minutes=5))
        # Not until she has signed the treatment's consent; she signs from her own link.
        refused = desk.post(f"/api/v1/appointments/{first.pk}/check-in/")
        assert refused.status_code == 409 and "Consent not signed" in refused.json()["detail"]
        task = next(t for t in patient_tasks(first.patient) if "consent" in t.label)
        page = Client().get(task.url).content.decode()
        titles = re.findall(r'name="section" value="([^"]+)"', page)
        signed = Client().post(task.url, {"section": [html.unescape(t) for t in titles],
                                          "signed_name": first.patient.full_name,
                                          "version": re.search(r'name="version" value="(\d+)"', page)[1]})
        assert "your consent is signed" in signed.content.decode()
        _ok(desk.post(f"/api/v1/appointments/{first.pk}/check-in/"))
        done = _ok(
            doctor.post(
                f"/api/v1/appointments/{first.pk}/complete/",
                {
                    "areas": {"face": "1.50"},
                    "device": "pen",
                    "side_effects": ["redness", "swelling"],
                    "notes": "Tolerated well.",
                },
            )
        )
        assert done["status"] == "completed"
        assert done["treated_areas"] == [{"area": "face", "depth_mm": "1.50"}]
        assert TreatmentSeries.objects.get(pk=series["id"]).status == "active"

        # She misses her healing check: the desk marks a no-show once its time has passed.
        check = (
            Appointment.objects.filter(
                series_id=series["id"], kind="healing_check", status="booked", starts_at__gt=first.starts_at
            )
            .order_by("starts_at")
            .first()
        )
        clock.move_to(check.starts_at + timedelta(minutes=20))
        no_show = _ok(desk.post(f"/api/v1/appointments/{check.pk}/no-show/"))
        assert no_show["status"] == "no_show"

        # Maintenance after the series is proposed from the last session.
        maintenance = _ok(desk.post(f"/api/v1/series/{series['id']}/maintenance/proposals/", {"count": 1}))
        assert maintenance["best"] is not None
        [visit] = [v for v in maintenance["best"]["visits"] if v["kind"] == "maintenance"]
        last_session = Appointment.objects.get(pk=session[2]["id"]).starts_at
        gap = datetime.fromisoformat(visit["starts_at"].replace("Z", "+00:00")) - last_session
        assert timedelta(days=59) <= gap <= timedelta(days=91)

    # Every change to the visits and the series is on the audit trail.
    actions = set(AuditEntry.objects.filter(object_type="appointment").values_list("action", flat=True))
    assert {"booked", "rescheduled", "cancelled", "checked_in", "completed", "no_show"} <= actions
    assert AuditEntry.objects.filter(object_type="treatmentseries", object_id=str(series["id"])).exists()
