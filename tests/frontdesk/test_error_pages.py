"""Error pages in the product's layout, with a way back; the API keeps its JSON."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from clinic.api.errors import server_error

pytestmark = pytest.mark.django_db


def test_a_front_desk_opening_the_dashboard_is_told_why_and_offered_a_way_back(desk, clinic):
    response = desk.get(reverse("frontdesk:dashboard"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "This page is for clinic admins only, and your login is for the front desk." in text
    assert "Back to the schedule" in text and 'aria-label="Main"' in text


@pytest.mark.parametrize("debug", [False, True])
def test_a_missing_page_is_the_products_404_in_development_too(desk, clinic, settings, debug):
    settings.DEBUG = debug
    for url in ("/no-such-page/", reverse("frontdesk:patient", args=[999999])):
        response = desk.get(url)
        assert response.status_code == 404
        text = response.content.decode()
        assert "There is no such page" in text and "Back to the schedule" in text, url


def test_the_api_still_answers_json_for_a_missing_address_and_a_refusal(desk, clinic):
    missing = desk.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_missing_slash_is_still_added(desk, clinic):
    response = desk.get("/patients?q=ha")
    assert response.status_code == 301 and response["Location"] == "/patients/?q=ha"


def test_a_server_error_page_in_the_layout_renders_without_the_request():
    response = server_error(RequestFactory().get("/schedule/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_favicon_is_linked_and_served(desk, clinic):
    assert 'rel="icon"' in desk.get(reverse("frontdesk:schedule")).content.decode()
    response = desk.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("frontdesk/favicon.svg")
