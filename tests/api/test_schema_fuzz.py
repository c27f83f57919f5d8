"""schemathesis against the project's own OpenAPI schema, in-process through the WSGI app:
every operation answers without a 5xx and every answer matches the schema, for a login
holding every role and then for each role on its own (clinic admin, front desk, provider),
so the paths a role takes past its permission check and through its narrower scope are
all exercised.

Bounded: a fixed number of generated requests per operation and role, no shrinking, so
the runs take a few minutes on two cores. The schema needs a login to fetch, so it is
generated in-process, as /api/schema/ would serve it."""

import json
import os

import pytest
import schemathesis
from django.contrib.auth.models import Group
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
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

schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
)
schema.app = application
schema.location = "/api/schema/"

# Examples per operation; raise FUZZ_EXAMPLES (and set FUZZ_RANDOM=1) for a longer hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
ROLE_EXAMPLES = int(os.environ.get("FUZZ_ROLE_EXAMPLES", "6"))
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


@pytest.fixture
def role_tokens(db, wsgi_in_test_transaction):
    """One login per role (the provider linked to a provider with a patient, a consultation
    and a visit of their own), and a second provider's patient none of them treats."""
    location = factories.LocationFactory()
    factories.RoomFactory(location=location)
    tokens = {}
    for role in (roles.CLINIC_ADMIN, roles.FRONT_DESK, roles.PROVIDER):
        user = factories.UserFactory(username=f"fuzz-{role.lower().replace(' ', '-')}")
        user.groups.add(Group.objects.get(name=role))
        if role == roles.PROVIDER:
            provider = factories.ProviderFactory(user=user, location=location)
            factories.ConsultationFactory(patient=factories.PatientFactory(), provider=provider)
        tokens[role] = Token.objects.create(user=user).key
    factories.ConsultationFactory(patient=factories.PatientFactory())
    return tokens


@pytest.mark.parametrize("role", [roles.CLINIC_ADMIN, roles.FRONT_DESK, roles.PROVIDER])
@schema.parametrize()
@settings(
    max_examples=ROLE_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_each_role_gets_no_server_error(case, role, role_tokens):
    case.call_and_validate(headers={"Authorization": f"Token {role_tokens[role]}"}, checks=CHECKS)
