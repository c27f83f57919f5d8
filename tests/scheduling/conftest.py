import pytest

from tests.factories import PatientFactory, ProviderFactory


@pytest.fixture
def resources(clinic):
    """What random diaries draw on (tests/scheduling/busy_diaries.py): the clinic's two
    providers and a third, its two rooms or none, and four patients."""
    location = clinic["location"]
    return {
        "location": location,
        "providers": [clinic["provider"], clinic["other_provider"], ProviderFactory(location=location)],
        "rooms": [*clinic["rooms"], None],
        "patients": [PatientFactory() for _ in range(4)],
    }
