"""The audit trail: holds, waitlist changes, sign-ins, tokens and every read of a clinical
record by a provider or admin write an entry (who, when, what, from which address); a
clinic admin filters and exports them."""

import csv
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from clinic import roles
from clinic.models import AuditEntry
from scheduling import services
from scheduling.models import Appointment, WaitlistEntry
from scheduling.planner import Preferences
from scheduling.waitlist import waitlist_entry_add
from tests.builders import at, staff
from tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"


def _entries(action, **filters):
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("pk"))


def test_sign_ins_and_failures_are_audited_with_the_address(db):
    user = staff(roles.FRONT_DESK, username="kim")
    api = APIClient(REMOTE_ADDR=ADDRESS)
    assert api.post("/api/v1/auth/token/", {"username": "kim", "password": "nope"}, format="json").status_code == 400
    assert api.post("/api/v1/auth/token/", {"username": "kim", "password": PASSWORD}, format="json").status_code == 200
    page = Client(REMOTE_ADDR=ADDRESS)
    assert page.post("/login/", {"username": "kim", "password": PASSWORD}).status_code == 302
    assert Client(REMOTE_ADDR=ADDRESS).post("/login/", {"username": "ghost", "password": "x"}).status_code == 200

    failed = _entries("sign_in_failed")
    assert [(e.changes["username"], e.changes["how"], e.address) for e in failed] == [
        ("kim", "api token", ADDRESS), ("ghost", "pages", ADDRESS)]
    succeeded = _entries("signed_in", actor=user)
    assert [(e.changes["how"], e.address) for e in succeeded] == [("api token", ADDRESS), ("pages", ADDRESS)]
    issued = _entries("token_issued", actor=user)
    assert len(issued) == 1 and issued[0].address == ADDRESS


def test_token_revocation_is_audited(db):
    user = staff(roles.FRONT_DESK, username="kim")
    api = APIClient(REMOTE_ADDR=ADDRESS)
    token = api.post("/api/v1/auth/token/", {"username": "kim", "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.delete("/api/v1/auth/token/revoke/").status_code == 204
    [entry] = _entries("token_revoked")
    assert (entry.actor, entry.changes, entry.address) == (user, {"reason": "signed out"}, ADDRESS)


def test_holds_are_audited_when_made_released_and_confirmed(world, desk_user):
    world["series"].status = "cancelled"
    world["series"].save(update_fields=["status"])
    before = AuditEntry.objects.order_by("pk").last().pk  # the fixture's own series was held and confirmed
    plan = services.series_propose(
        consultation=world["consultation"], location=world["location"],
        preferences=Preferences(provider_id=world["provider"].pk),
    ).best
    hold = services.series_hold(consultation=world["consultation"], location=world["location"], plan=plan,
                                held_by=desk_user)
    services.hold_release(hold=hold, released_by=desk_user)
    again = services.series_hold(consultation=world["consultation"], location=world["location"], plan=plan,
                                 held_by=desk_user)
    services.series_confirm(hold=again, confirmed_by=desk_user)
    entries = AuditEntry.objects.filter(object_type="serieshold", pk__gt=before).order_by("pk")
    assert [e.action for e in entries] == ["held", "released", "held", "confirmed"]
    assert all(e.actor == desk_user for e in entries)


def test_waitlist_changes_are_audited(world, desk_user):
    patient = PatientFactory()
    entry = waitlist_entry_add(patient=patient, location=world["location"], kind="session",
                               earliest_date=at(2, 9).date(), latest_date=at(20, 9).date(), added_by=desk_user)
    [added] = _entries("waitlist_added")
    assert (added.actor, added.object_id, added.changes["patient"]) == (desk_user, str(entry.pk), patient.pk)
    session = world["series"].appointments.filter(kind="session", session_number=1).get()
    services.appointment_cancel(appointment=session, reason="Unwell", cancelled_by=desk_user)
    assert WaitlistEntry.objects.get(pk=entry.pk).status == "offered"
    [offered] = _entries("waitlist_offered")
    assert offered.object_id == str(entry.pk) and offered.changes["freed_appointment"] == session.pk


def test_the_waitlist_page_audits_who_added_the_patient(world, desk_user):
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(desk_user)
    response = client.post(
        reverse("frontdesk:waitlist-new", args=[world["patient"].pk]),
        {"location": world["location"].pk, "kind": "consultation", "earliest_date": "2027-03-03",
         "latest_date": "2027-03-20"},
    )
    assert response.status_code == 302
    [added] = _entries("waitlist_added")
    assert (added.actor, added.address) == (desk_user, ADDRESS)


def _session(world, number=1) -> Appointment:
    return world["series"].appointments.filter(kind="session", session_number=number).get()


def test_every_clinical_read_by_a_provider_or_admin_is_audited_and_the_desks_are_not(
    world, desk_user, clinic_admin_user
):
    session = _session(world)
    provider = world["provider"].user
    for user in (provider, clinic_admin_user, desk_user):
        api = APIClient(REMOTE_ADDR=ADDRESS)
        api.force_authenticate(user)
        assert api.get(f"/api/v1/appointments/{session.pk}/").status_code == 200
        assert api.get(f"/api/v1/consultations/{world['consultation'].pk}/").status_code == 200
        assert api.get(f"/api/v1/series/{world['series'].pk}/").status_code == 200
    reads = _entries("clinical_record_read")
    by = {user: [(e.object_type, e.object_id) for e in reads if e.actor == user]
          for user in (provider, clinic_admin_user, desk_user)}
    assert by[desk_user] == [], "the desk reads no clinical record"
    visits = world["series"].appointments.count()
    for user in (provider, clinic_admin_user):
        assert ("appointment", str(session.pk)) in by[user]
        assert ("consultation", str(world["consultation"].pk)) in by[user]
        assert len([r for r in by[user] if r[0] == "appointment"]) == 1 + visits
    assert {e.address for e in reads} == {ADDRESS}
    assert all(e.changes["via"].startswith("GET /api/v1/") for e in reads)


def test_reading_a_clinical_record_on_the_pages_is_audited(world, desk_user):
    doctor = Client(REMOTE_ADDR=ADDRESS)
    doctor.force_login(world["provider"].user)
    doctor.get(reverse("frontdesk:patient", args=[world["patient"].pk]))
    doctor.get(reverse("frontdesk:visit", args=[_session(world).pk]))
    desk = Client()
    desk.force_login(desk_user)
    desk.get(reverse("frontdesk:patient", args=[world["patient"].pk]))
    reads = _entries("clinical_record_read")
    assert {e.actor for e in reads} == {world["provider"].user}
    assert ("consultation", str(world["consultation"].pk)) in {(e.object_type, e.object_id) for e in reads}
    assert any(e.changes["via"] == f"GET /visits/{_session(world).pk}/" for e in reads)


def test_a_clinic_admin_filters_and_exports_the_trail(world, admin_client, clinic_admin_user):
    AuditEntry.objects.create(actor_label="=cmd|' /C calc'!A0", action="sign_in_failed", object_type="user",
                              object_id="", address="203.0.113.5", changes={"username": "=cmd"})
    changelist = reverse("admin:clinic_auditentry_changelist")
    filtered = admin_client.get(changelist, {"action": "sign_in_failed"})
    assert filtered.status_code == 200 and "203.0.113.5" in filtered.content.decode()
    searched = admin_client.get(changelist, {"q": "203.0.113.5"})
    assert "203.0.113.5" in searched.content.decode()

    chosen = list(AuditEntry.objects.values_list("pk", flat=True))
    exported = admin_client.post(changelist, {"action": "download_csv", "_selected_action": chosen})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["at", "who", "action", "object_type", "object_id", "address", "changes"]
    assert len(rows) == 1 + len(chosen)
    forged = next(row for row in rows if row[2] == "sign_in_failed")
    assert forged[1] == "'=cmd|' /C calc'!A0" and forged[5] == "203.0.113.5"

    api = APIClient()
    api.force_authenticate(clinic_admin_user)
    with time_machine.travel(at(2, 12), tick=False):
        body = api.get("/api/v1/audit/", {"action": "sign_in_failed", "address": "203.0.113.5"}).json()
    assert [entry["actor"] for entry in body["results"]] == ["=cmd|' /C calc'!A0"]
    since = api.get("/api/v1/audit/", {"since": "2099-01-01T00:00:00Z"}).json()
    assert since["count"] == 0
