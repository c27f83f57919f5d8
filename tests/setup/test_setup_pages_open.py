"""Every set-up page opens for a clinic admin, and only for one: the front desk and the
providers are refused in words."""

import pytest
from django.urls import reverse

from patients.models import ScreeningRule
from scheduling.models import MessageTemplate

pytestmark = pytest.mark.django_db


def _pages(clinic, protocol) -> list[str]:
    location, provider, room = clinic["location"], clinic["provider"], clinic["rooms"][0]
    rule = ScreeningRule.objects.first()
    kind = MessageTemplate.objects.order_by("kind").first().kind
    return [
        reverse("frontdesk:setup"),
        reverse("frontdesk:setup-location-new"),
        reverse("frontdesk:setup-location", args=[location.pk]),
        reverse("frontdesk:setup-opening-hours", args=[location.pk]),
        reverse("frontdesk:setup-closures", args=[location.pk]),
        reverse("frontdesk:setup-rooms", args=[location.pk]),
        reverse("frontdesk:setup-room", args=[room.pk]),
        reverse("frontdesk:setup-provider", args=[provider.pk]),
        reverse("frontdesk:setup-protocol", args=[protocol.pk]),
        reverse("frontdesk:setup-screening"),
        reverse("frontdesk:setup-screening-new"),
        reverse("frontdesk:setup-screening-rule", args=[rule.pk]),
        reverse("frontdesk:setup-messages"),
        reverse("frontdesk:setup-message", args=[kind]),
    ]


def test_every_set_up_page_opens_for_a_clinic_admin_with_the_zone_named(admin, clinic, protocol):
    for url in _pages(clinic, protocol):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert "Europe/London" in response.content.decode(), url


def test_the_staff_navigation_offers_set_up_to_clinic_admins_only(admin, desk, clinic):
    assert 'href="/setup/"' in admin.get(reverse("frontdesk:schedule")).content.decode()
    assert 'href="/setup/"' not in desk.get(reverse("frontdesk:schedule")).content.decode()


@pytest.mark.parametrize("who", ["desk", "doctor"])
def test_the_front_desk_and_providers_get_a_refusal_in_words(who, request, clinic, protocol):
    client = request.getfixturevalue(who)
    for url in _pages(clinic, protocol):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "This page is for clinic admins only" in response.content.decode(), url
