"""Treatment areas and needle depths: the one check every plan and session record uses."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from clinic.errors import InvalidRequest

from .choices import MAX_DEPTH_MM, MIN_DEPTH_MM, TreatmentArea

DEPTH_STEP = Decimal("0.01")


def needle_depths_check(areas: Mapping[str, object]) -> tuple[dict[str, Decimal], list[str]]:
    """The areas with their depths as Decimals (to the hundredth of a millimetre), and a
    sentence for each one that is not a known area or not a depth between the bounds."""
    cleaned: dict[str, Decimal] = {}
    errors: list[str] = []
    for area, depth in areas.items():
        if area not in TreatmentArea.values:
            errors.append(f"Unknown area '{area}'. Choose from: {', '.join(TreatmentArea.values)}.")
            continue
        label = TreatmentArea(area).label
        try:
            value = Decimal(str(depth))
        except (InvalidOperation, ValueError):
            errors.append(f"{label}: give the needle depth in mm, e.g. 1.5.")
            continue
        if not value.is_finite() or not Decimal(MIN_DEPTH_MM) <= value <= Decimal(MAX_DEPTH_MM):
            errors.append(f"{label}: needle depth {depth} mm is outside {MIN_DEPTH_MM}-{MAX_DEPTH_MM} mm.")
            continue
        cleaned[area] = value.quantize(DEPTH_STEP)
    return cleaned, errors


def needle_depths_clean(areas: Mapping[str, object]) -> dict[str, Decimal]:
    """`needle_depths_check`, refusing the whole record at the first problem."""
    cleaned, errors = needle_depths_check(areas)
    if errors:
        raise InvalidRequest(errors[0], details={"areas": errors})
    return cleaned
