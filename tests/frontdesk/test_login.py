"""Signing in to the pages: Django's login view, with django-axes' lockout kept."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_lands_on_the_schedule(clinic, desk_user):
    client = Client()
    page = client.get(reverse("frontdesk:login"))
    assert page.status_code == 200 and 'for="id_username"' in page.content.decode()
    response = client.post(reverse("frontdesk:login"), {"username": "desk", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("frontdesk:schedule")
    assert client.get(reverse("frontdesk:schedule")).status_code == 200


def test_a_wrong_password_is_refused_plainly(clinic, desk_user):
    response = Client().post(reverse("frontdesk:login"), {"username": "desk", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_repeated_failures_lock_the_login_out(clinic, desk_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("frontdesk:login"), {"username": "desk", "password": "nope"})
    locked = client.post(reverse("frontdesk:login"), {"username": "desk", "password": PASSWORD})
    assert locked.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert "too many" in locked.content.decode().lower()
    assert client.get(reverse("frontdesk:schedule")).status_code == 302, "no session was opened"


def test_sign_out(clinic, desk):
    response = desk.post(reverse("frontdesk:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("frontdesk:login")
    assert desk.get(reverse("frontdesk:schedule")).status_code == 302
