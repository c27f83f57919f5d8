"""The words of a consent version as the patient reads them, and their SHA-256: the hash
a signature records, so anyone can later show which exact text was signed. Pure: the
data migration that seeds the default document uses it too."""

import hashlib

# The default document for a microneedling protocol (DOMAIN.md: risks, aftercare,
# photography and the cancellation policy). Clinics edit it; each edit is a new version.
DEFAULT_TITLE = "Consent to facial microneedling"
DEFAULT_SECTIONS: list[dict[str, str]] = [
    {
        "title": "The treatment",
        "text": "Microneedling makes tiny punctures in the skin with a pen or roller to prompt its own repair. "
        "A numbing cream is applied first. A course is usually three to six sessions, four to six weeks apart, "
        "and results show over the following weeks.",
    },
    {
        "title": "Risks and side effects",
        "text": "Expect redness, mild swelling and sensitivity like a mild sunburn for a few days. Bruising, "
        "dryness, peeling and pinpoint bleeding can happen. Rarely the skin becomes infected or develops dark "
        "patches (hyperpigmentation), which is more likely on darker skin tones; tell us at once if you notice "
        "either.",
    },
    {
        "title": "Aftercare",
        "text": "Avoid direct sun and wear a broad-spectrum sunscreen; use a gentle cleanser without scrubbing and "
        "a non-comedogenic moisturiser; avoid harsh or abrasive products until your skin has settled; report any "
        "change or concern promptly.",
    },
    {
        "title": "Photographs",
        "text": "We take photographs of the treated areas before and during your course to follow your results. "
        "They are part of your clinical record and are never shown to anyone else without your separate "
        "written permission.",
    },
    {
        "title": "Cancellations",
        "text": "Please give at least 24 hours' notice to move or cancel a visit. A later cancellation or a missed "
        "visit is recorded as late.",
    },
    {
        "title": "Your health",
        "text": "I have told the clinic about my medicines, allergies, pregnancy or breastfeeding and skin "
        "conditions, and I will tell them before each session if anything changes.",
    },
]


def consent_text(title: str, sections: list[dict[str, str]]) -> str:
    """The exact text of a version: its title, then each section's title and text,
    separated by blank lines. The hash is taken over this, so it is fixed forever."""
    parts = [title.strip()]
    for section in sections:
        parts.append(f"{section['title'].strip()}\n{section['text'].strip()}")
    return "\n\n".join(parts) + "\n"


def consent_text_sha256(title: str, sections: list[dict[str, str]]) -> str:
    return hashlib.sha256(consent_text(title, sections).encode("utf-8")).hexdigest()
