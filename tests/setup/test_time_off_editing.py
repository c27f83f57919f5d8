"""A provider's time off can be changed, not only added and removed: moved onto booked
visits it warns first, the change is audited with old and new values, bad input is a
sentence with what was typed kept, and only a clinic admin may do it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinic.models import AuditEntry, RoomOutOfService, TimeOff
from tests.builders import sessions

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _off(provider) -> TimeOff:
    return TimeOff.objects.create(provider=provider, reason="Annual leave",
                                  starts_at=datetime(2031, 6, 2, 8, tzinfo=ZoneInfo("UTC")),
                                  ends_at=datetime(2031, 6, 2, 11, tzinfo=ZoneInfo("UTC")))


def test_time_off_is_shown_in_local_time_and_changed_with_an_audit(admin, clinic):
    off = _off(clinic["provider"])
    url = reverse("frontdesk:setup-time-off-edit", args=[off.pk])
    page = admin.get(url).content.decode()
    assert 'value="09:00"' in page and "Europe/London" in page  # 08:00 UTC is 09:00 BST
    response = admin.post(url, {"location": clinic["location"].pk, "reason": "Course", "starts_on": "2031-06-03",
                                 "starts_time": "13:00", "ends_on": "2031-06-03", "ends_time": "17:30"})
    assert response.status_code == 302
    off.refresh_from_db()
    assert off.starts_at == datetime(2031, 6, 3, 12, tzinfo=ZoneInfo("UTC")) and off.reason == "Course"
    entry = AuditEntry.objects.get(object_type="timeoff", action="updated")
    assert entry.changes["reason"] == ["Annual leave", "Course"]
    assert set(entry.changes) == {"starts_at", "ends_at", "reason"}


def test_a_bad_change_is_a_sentence_and_keeps_what_was_typed(admin, clinic):
    off = _off(clinic["provider"])
    url = reverse("frontdesk:setup-time-off-edit", args=[off.pk])
    response = admin.post(url, {"location": clinic["location"].pk, "reason": "Course", "starts_on": "2031-03-30",
                                "starts_time": "01:30", "ends_on": "2031-03-30", "ends_time": "04:00"})
    body = response.content.decode()
    assert response.status_code == 400 and "does not exist in Europe/London" in body
    assert 'value="Course"' in body
    reversed_ = admin.post(url, {"location": clinic["location"].pk, "reason": "Course", "starts_on": "2031-06-05",
                                 "starts_time": "", "ends_on": "2031-06-04", "ends_time": ""})
    assert reversed_.status_code == 400 and "The last day must be on or after the first day." in \
        reversed_.content.decode()
    off.refresh_from_db()
    assert off.reason == "Annual leave" and not AuditEntry.objects.filter(action="updated").exists()


def test_moving_time_off_onto_booked_visits_warns_first(admin, world):
    off = _off(world["provider"])
    day = sessions(world["series"])[0].starts_at.astimezone(LONDON).date().isoformat()
    url = reverse("frontdesk:setup-time-off-edit", args=[off.pk])
    data = {"location": world["location"].pk, "reason": "Leave", "starts_on": day, "ends_on": day}
    body = admin.post(url, data).content.decode()
    assert "Saving this would disrupt" in body and "Treatment session 1 of 3" in body
    off.refresh_from_db()
    assert off.reason == "Annual leave"
    assert admin.post(url, {**data, "confirm": "replan"}).status_code == 302
    off.refresh_from_db()
    assert off.reason == "Leave"


@pytest.mark.parametrize("who", ["desk", "doctor"])
def test_only_a_clinic_admin_changes_time_off(who, request, clinic):
    off = _off(clinic["provider"])
    visitor = request.getfixturevalue(who)
    url = reverse("frontdesk:setup-time-off-edit", args=[off.pk])
    assert visitor.get(url).status_code == 403
    assert visitor.post(url, {"reason": "Mine", "starts_on": "2031-06-03", "ends_on": "2031-06-03"}).status_code == 403
    off.refresh_from_db()
    assert off.reason == "Annual leave"


def test_a_room_out_of_service_is_changed_with_an_audit_and_a_warning(admin, world):
    visit = sessions(world["series"])[0]
    spell = RoomOutOfService.objects.create(room=visit.room, reason="Laser servicing",
                                            starts_at=datetime(2031, 6, 2, 8, tzinfo=ZoneInfo("UTC")),
                                            ends_at=datetime(2031, 6, 2, 11, tzinfo=ZoneInfo("UTC")))
    url = reverse("frontdesk:setup-room-out-of-service-edit", args=[spell.pk])
    assert 'value="09:00"' in admin.get(url).content.decode()
    day = visit.starts_at.astimezone(LONDON).date().isoformat()
    data = {"reason": "Deep clean", "starts_on": day, "ends_on": day}
    body = admin.post(url, data).content.decode()
    assert "Saving this would disrupt" in body and "Treatment session 1 of 3" in body
    spell.refresh_from_db()
    assert spell.reason == "Laser servicing"
    assert admin.post(url, {**data, "confirm": "replan"}).status_code == 302
    spell.refresh_from_db()
    assert spell.reason == "Deep clean"
    entry = AuditEntry.objects.get(object_type="roomoutofservice", action="updated")
    assert entry.changes["reason"] == ["Laser servicing", "Deep clean"]
    bad = admin.post(url, {"reason": "Deep clean", "starts_on": day, "starts_time": "12:00", "ends_on": day,
                           "ends_time": "11:00"})
    assert bad.status_code == 400 and "The end must be after the start." in bad.content.decode()
