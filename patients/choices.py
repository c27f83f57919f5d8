"""The clinic's vocabulary for skin, treatment areas and side effects (from DOMAIN.md)."""

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class SkinConcern(models.TextChoices):
    FINE_LINES = "fine_lines", "Fine lines and wrinkles"
    ACNE_SCARS = "acne_scars", "Acne scars"
    OTHER_SCARS = "other_scars", "Other scars"
    TEXTURE_TONE = "texture_tone", "Uneven texture and tone"
    HYPERPIGMENTATION = "hyperpigmentation", "Hyperpigmentation"
    ENLARGED_PORES = "enlarged_pores", "Enlarged pores"
    REJUVENATION = "rejuvenation", "General rejuvenation"


class Contraindication(models.TextChoices):
    """Conditions the seeds name as blocking a series until cleared."""

    ACTIVE_ACNE = "active_acne", "Active acne"
    ECZEMA = "eczema", "Eczema"
    ROSACEA = "rosacea", "Rosacea"
    ACTIVE_INFECTION = "active_infection", "Active skin infection"


class TreatmentArea(models.TextChoices):
    FACE = "face", "Face"
    NECK = "neck", "Neck"
    CHEST = "chest", "Chest"
    HANDS = "hands", "Hands"


class FitzpatrickType(models.IntegerChoices):
    I = 1, "I"  # noqa: E741
    II = 2, "II"
    III = 3, "III"
    IV = 4, "IV"
    V = 5, "V"
    VI = 6, "VI"


class SideEffect(models.TextChoices):
    REDNESS = "redness", "Redness"
    SWELLING = "swelling", "Mild swelling"
    BRUISING = "bruising", "Bruising"
    DRYNESS = "dryness", "Dryness and peeling"
    SENSITIVITY = "sensitivity", "Sun and product sensitivity"
    PINPOINT_BLEEDING = "pinpoint_bleeding", "Pinpoint bleeding"
    FLUSHING = "flushing", "Flushing"
    TINGLING = "tingling", "Tingling"
    INFECTION = "infection", "Infection"
    HYPERPIGMENTATION = "hyperpigmentation", "Hyperpigmentation"


# A rare side effect recorded at a session puts the series on hold for a provider's review.
RARE_SIDE_EFFECTS = frozenset({SideEffect.INFECTION, SideEffect.HYPERPIGMENTATION})

# Fitzpatrick IV-VI: higher risk of hyperpigmentation, so the plan needs acknowledgement.
CAUTION_FITZPATRICK_FROM = FitzpatrickType.IV

MIN_DEPTH_MM = "0.50"
MAX_DEPTH_MM = "2.50"
