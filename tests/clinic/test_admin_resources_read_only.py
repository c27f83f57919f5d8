"""The Django admin reads the clinic's resources and changes none of them: closures, hours,
time off and rooms are changed on the set-up pages, in the location's own time, audited
and under the booking lock. The admin shows a closure's times in the location's zone."""

from datetime import UTC, datetime

import pytest

from clinic.models import Closure
from tests.builders import signed_in

pytestmark = pytest.mark.django_db


def test_the_admin_shows_closures_in_local_time_and_adds_none(admin_user, location):
    Closure.objects.create(location=location, reason="Staff training", starts_at=datetime(2027, 7, 1, 8, tzinfo=UTC),
                           ends_at=datetime(2027, 7, 1, 11, tzinfo=UTC))
    client = signed_in(admin_user)
    body = client.get("/admin/clinic/closure/").content.decode()
    assert "Thu 1 Jul 2027 09:00 (Europe/London, BST)" in body
    assert "set-up pages" in body
    for path in ("/admin/clinic/closure/add/", "/admin/clinic/timeoff/add/", "/admin/clinic/openinghours/add/",
                 "/admin/clinic/workinghours/add/", "/admin/clinic/room/add/", "/admin/clinic/location/add/"):
        assert client.get(path).status_code == 403, path
    closure = Closure.objects.get()
    response = client.post(f"/admin/clinic/closure/{closure.pk}/change/", {"reason": "Changed"})
    assert response.status_code == 403
    closure.refresh_from_db()
    assert closure.reason == "Staff training"
