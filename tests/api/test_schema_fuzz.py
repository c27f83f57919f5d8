"""schemathesis against the project's own OpenAPI schema, in-process through the WSGI app:
every operation answers without a 5xx and every answer matches the schema.

Bounded: a fixed number of generated requests per operation, no shrinking, so the run
takes a minute or two on two cores."""

import os

import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic import roles
from clinic.wsgi import application
from tests import factories

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# Examples per operation; raise FUZZ_EXAMPLES (and set FUZZ_RANDOM=1) for a longer hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls go straight to the WSGI app, which would close the database connection at
    the end of each request; keep it, as Django's test client does, so each test's
    transaction (and its rollback) spans the requests."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db, wsgi_in_test_transaction):
    """A login in every role and linked to a provider, so each operation runs past its
    permission check; and a little clinic for the generated ids to land on."""
    location = factories.LocationFactory()
    user = factories.UserFactory(username="fuzzer")
    user.groups.add(*Group.objects.filter(name__in=[roles.CLINIC_ADMIN, roles.FRONT_DESK, roles.PROVIDER]))
    factories.ProviderFactory(user=user, location=location)
    factories.RoomFactory(location=location)
    patient = factories.PatientFactory()
    factories.ConsultationFactory(patient=patient)
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_server_errors_and_answers_match_the_schema(case, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_token}"}, checks=CHECKS)
