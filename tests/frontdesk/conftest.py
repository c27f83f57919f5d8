"""The pages' own fixtures. The clinic, the world, the logins and the clients signed in as
each (Django test clients with a session, as the pages take them) come from tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def long_sessions(settings):
    """Tests sign in now and then move the clock to 2027: keep the login alive."""
    settings.SESSION_COOKIE_AGE = 20 * 365 * 24 * 3600
