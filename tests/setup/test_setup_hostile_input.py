"""Set-up forms under hostile input: empty, reversed, absurd and malformed values in
every form end in a sentence, never a server error or a constraint's name; every POST
address refuses the front desk, providers and anonymous visitors."""

import pytest
from django.urls import reverse

from clinic.models import Closure, RoomOutOfService, TimeOff
from patients.models import ScreeningRule

pytestmark = pytest.mark.django_db

ABSURD = ["", " ", "x" * 5000, "-1", "99999999999999999999", "0", "1e9", "\x00", "<script>", "25:99",
          "0000-00-00", "9999-12-31", "0001-01-01", "2026-02-30", "null", "{\"a\": 1}"]


def _forms(clinic, protocol) -> dict[str, list[str]]:
    location, provider, room = clinic["location"], clinic["provider"], clinic["rooms"][0]
    rule = ScreeningRule.objects.first()
    week = [f"d{d}_{s}_{e}" for d in range(7) for s in (1, 2) for e in ("start", "end")]
    span = ["reason", "starts_on", "starts_time", "ends_on", "ends_time"]
    return {
        reverse("frontdesk:setup-location-new"): ["name", "time_zone", "address", "phone", "email",
                                                  "late_cancel_notice_hours", "slot_minutes"],
        reverse("frontdesk:setup-location", args=[location.pk]): ["name", "time_zone", "slot_minutes"],
        reverse("frontdesk:setup-opening-hours", args=[location.pk]): week,
        reverse("frontdesk:setup-closures", args=[location.pk]): [*span, "repeats_yearly"],
        reverse("frontdesk:setup-rooms", args=[location.pk]): ["name"],
        reverse("frontdesk:setup-room", args=[room.pk]): ["name"],
        reverse("frontdesk:setup-room-out-of-service", args=[room.pk]): span,
        reverse("frontdesk:setup-provider", args=[provider.pk]): [*week, "location"],
        reverse("frontdesk:setup-time-off", args=[provider.pk]): [*span, "location"],
        reverse("frontdesk:setup-protocol", args=[protocol.pk]): ["session_count_min", "min_interval_days",
                                                                   "area_face", "reminder_lead_hours"],
        reverse("frontdesk:setup-screening-new"): ["condition", "label", "effect", "block_outcome",
                                                   "lookback_days", "defer_days"],
        reverse("frontdesk:setup-screening-rule", args=[rule.pk]): ["condition", "effect", "lookback_days"],
        reverse("frontdesk:setup-message", args=["pre_visit"]): ["email_subject", "email_html", "sms_body"],
        reverse("frontdesk:setup-message-preview", args=["pre_visit"]): ["email_html", "sms_body"],
    }


def test_absurd_values_in_every_set_up_form_are_answered_in_words(admin, clinic, protocol):
    for url, names in _forms(clinic, protocol).items():
        for value in ABSURD:
            response = admin.post(url, {name: value for name in names})
            assert response.status_code < 500, (url, value)
            body = response.content.decode(errors="replace")
            for words in ("constraint", "violates", "IntegrityError", "valid JSON"):
                assert words not in body, (url, value, words)


def _posts(clinic, protocol) -> list[str]:
    location, provider, room = clinic["location"], clinic["provider"], clinic["rooms"][0]
    closure = Closure.objects.create(location=location, starts_at="2031-01-01T00:00Z", ends_at="2031-01-02T00:00Z",
                                     reason="Training")
    spell = RoomOutOfService.objects.create(room=room, starts_at="2031-01-01T00:00Z", ends_at="2031-01-02T00:00Z")
    off = TimeOff.objects.create(provider=provider, starts_at="2031-01-01T00:00Z", ends_at="2031-01-02T00:00Z")
    return [*_forms(clinic, protocol), reverse("frontdesk:setup-closure", args=[closure.pk]),
            reverse("frontdesk:setup-closure-delete", args=[closure.pk]),
            reverse("frontdesk:setup-room-active", args=[room.pk]),
            reverse("frontdesk:setup-room-out-of-service-delete", args=[spell.pk]),
            reverse("frontdesk:setup-time-off-delete", args=[off.pk])]


@pytest.mark.parametrize("who", ["desk", "doctor", "anonymous"])
def test_no_set_up_post_is_open_to_anyone_but_a_clinic_admin(who, request, client, clinic, protocol):
    visitor = client if who == "anonymous" else request.getfixturevalue(who)
    for url in _posts(clinic, protocol):
        response = visitor.post(url, {"name": "Taken", "reason": "x", "confirm": "1"})
        assert response.status_code in (302, 403), (who, url, response.status_code)
        if who == "anonymous":
            assert "/login" in response.url or "sign-in" in response.url or "accounts" in response.url, url
    assert Closure.objects.count() == 1 and RoomOutOfService.objects.count() == 1 and TimeOff.objects.count() == 1
    assert clinic["rooms"][0].__class__.objects.get(pk=clinic["rooms"][0].pk).is_active
