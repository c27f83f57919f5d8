"""Treatment areas and needle depths: the one check every plan and session record uses."""

from decimal import Decimal

import pytest

from clinic.errors import InvalidRequest
from patients.areas import needle_depths_check, needle_depths_clean


def test_depths_are_kept_to_the_hundredth_of_a_millimetre():
    assert needle_depths_clean({"face": "1.5", "neck": 0.75}) == {"face": Decimal("1.50"), "neck": Decimal("0.75")}


@pytest.mark.parametrize("depth", ["0.49", "2.51", "NaN", "Infinity", -1])
def test_a_depth_outside_the_bounds_is_refused_in_words(depth):
    with pytest.raises(InvalidRequest, match=r"Face: needle depth .* mm is outside 0.50-2.50 mm"):
        needle_depths_clean({"face": depth})


def test_a_depth_that_is_not_a_number_asks_for_millimetres():
    with pytest.raises(InvalidRequest, match="give the needle depth in mm"):
        needle_depths_clean({"face": "deep"})


def test_every_problem_is_listed_and_the_good_areas_kept():
    cleaned, errors = needle_depths_check({"face": "1.00", "scalp": "1.00", "neck": "3"})
    assert cleaned == {"face": Decimal("1.00")}
    assert errors[0].startswith("Unknown area 'scalp'") and errors[1].startswith("Neck: needle depth 3 mm")
