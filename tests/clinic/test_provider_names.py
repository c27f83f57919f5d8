"""A provider's name is read by the desk, in calendar feeds and in every message a
patient receives: like a patient's, it may not hide direction-changing or invisible
characters, and ordinary accents and other scripts are kept."""

import pytest
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["Dr \u202eletaP", "Dr Pa\u200btel", "Dr\tPatel", "Dr \u2066Patel\u2069"])
def test_a_provider_name_with_invisible_or_direction_changing_characters_is_refused(provider, name):
    provider.display_name = name
    with pytest.raises(ValidationError) as refused:
        provider.full_clean()
    assert "invisible or direction-changing" in str(refused.value.message_dict["display_name"])


@pytest.mark.parametrize("name", ["Dr Zoë O'Brien-Løkke", "Dr 王小明", "د. سارة"])
def test_a_provider_name_with_accents_and_other_scripts_is_kept(provider, name):
    provider.display_name = name
    provider.full_clean()
