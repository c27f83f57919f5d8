"""The API's own fixtures: its clients sign in the way API callers do, and its cached
answers start empty. The clinic, the world and the logins come from tests/conftest.py."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def login(user, *, token: bool = False) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    else:
        client.force_authenticate(user)
    return client


@pytest.fixture
def client_for():
    """`desk`, `admin`, `doctor` and `other_doctor` are API clients here."""
    return login


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached availability must not outlive the test whose diary it described."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
