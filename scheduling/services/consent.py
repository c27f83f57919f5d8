"""Publishing a consent document's new version, and a patient signing it.

Versions and signatures are insert-only: nothing here updates one, and the database
refuses to (see scheduling/models/consent.py). Both services lock the document's row,
so a signature is always checked against the version that is current when it commits."""

import re
import unicodedata

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from patients.models import Patient

from ..consent import consent_version_current
from ..consent_text import consent_text_sha256
from ..models import ConsentDocument, ConsentSignature, ConsentVersion

MAX_SECTIONS = 20


def _now():
    """Whole seconds: a serialized copy (JSON keeps milliseconds) then writes back the same
    value, which the database's insert-only trigger lets through."""
    return timezone.now().replace(microsecond=0)


def _locked_document(document: ConsentDocument) -> ConsentDocument:
    return ConsentDocument.objects.select_for_update().select_related("protocol").get(pk=document.pk)


def _sections_clean(title: str, sections: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    title = (title or "").strip()
    if not title:
        raise InvalidRequest("Give the document a title.", details={"title": ["Required."]})
    kept = []
    for index, section in enumerate(sections, start=1):
        heading, text = (section.get("title") or "").strip(), (section.get("text") or "").strip()
        if not heading and not text:
            continue
        if not heading or not text:
            raise InvalidRequest(f"Section {index} needs both a heading and its text.",
                                 details={"sections": [f"Section {index} is incomplete."]})
        kept.append({"title": heading, "text": text})
    if not kept:
        raise InvalidRequest("A consent document needs at least one section.", details={"sections": ["Required."]})
    if len(kept) > MAX_SECTIONS:
        raise InvalidRequest(f"Keep the document to {MAX_SECTIONS} sections or fewer.")
    return title[:200], kept


@transaction.atomic
def consent_version_publish(
    *, document: ConsentDocument, title: str, sections: list[dict[str, str]], published_by=None
) -> ConsentVersion:
    """Publish the edited words as the document's next version. Patients who signed an
    earlier version sign again before their next treatment; the earlier version and its
    signatures stay exactly as they were."""
    document = _locked_document(document)
    title, sections = _sections_clean(title, sections)
    text_sha256 = consent_text_sha256(title, sections)
    current = consent_version_current(document)
    if current is not None and current.text_sha256 == text_sha256:
        raise InvalidRequest("Nothing changed: the text is the same as the current version.")
    version = ConsentVersion.objects.create(
        document=document, number=(current.number + 1) if current else 1, title=title, sections=sections,
        text_sha256=text_sha256, published_at=_now(), published_by=published_by,
    )
    audit_record(actor=published_by, action="consent_published", obj=version,
                 changes={"protocol": document.protocol.name, "number": version.number, "sha256": text_sha256})
    return version


@transaction.atomic
def consent_document_set_validity(*, document: ConsentDocument, validity_months: int, changed_by=None) -> None:
    """How long a signature counts; not a change of the words, so no new version."""
    if not 1 <= validity_months <= 60:
        raise InvalidRequest("A consent counts for between 1 and 60 months.",
                             details={"validity_months": ["Between 1 and 60."]})
    document = _locked_document(document)
    if document.validity_months == validity_months:
        return
    before = document.validity_months
    document.validity_months = validity_months
    document.save(update_fields=["validity_months"])
    audit_record(actor=changed_by, action="consent_validity_changed", obj=document,
                 changes={"validity_months": [before, validity_months]})


def _name_words(name: str) -> list[str]:
    """Letters only, without accents or case: "Zoë O'Neill-Smith" -> zoe, oneill, smith."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    plain = re.sub(r"['\u2019.]", "", plain)
    return re.findall(r"[a-z]+", plain)


def signed_name_matches(typed: str, patient: Patient) -> bool:
    """The rule for the typed name: every word of the patient's first and last names, in
    any order, ignoring case, accents, apostrophes and hyphens; middle names may be added."""
    typed_words = set(_name_words(typed))
    needed = _name_words(patient.first_name) + _name_words(patient.last_name)
    return bool(needed) and all(word in typed_words for word in needed)


@transaction.atomic
def consent_sign(
    *, patient: Patient, version: ConsentVersion, signed_name: str, sections_ticked: list[str],
    address: str | None, user_agent: str, witnessed_by=None,
) -> ConsentSignature:
    """The patient signs this version: their full name typed, every section ticked. At
    the desk, `witnessed_by` is the member of staff who handed over the tablet."""
    document = _locked_document(version.document)
    current = consent_version_current(document)
    if current is None or current.pk != version.pk:
        raise Conflict("The clinic has just changed this document. Please read the new version and sign that.")
    signed_name = " ".join((signed_name or "").split())[:170]
    errors: dict[str, list[str]] = {}
    if not signed_name:
        errors["signed_name"] = ["Type your full name to sign."]
    elif "\x00" in signed_name:
        errors["signed_name"] = ["The name holds a character that cannot be kept; please type it again."]
    elif not signed_name_matches(signed_name, patient):
        errors["signed_name"] = ["Type your full name as the clinic has it: your first and last name."]
    titles = [section["title"] for section in version.sections]
    missing = [title for title in titles if title not in set(sections_ticked)]
    if missing:
        errors["sections"] = [f"Tick each section to show you have read it: {', '.join(missing)}."]
    if errors:
        message = next(iter(errors.values()))[0] if len(errors) == 1 else (
            "Tick each section and type your full name to sign.")
        raise InvalidRequest(message, details=errors)
    signature = ConsentSignature.objects.create(
        version=version, patient=patient, signed_name=signed_name, sections_ticked=titles,
        signed_at=_now(), address=address or None, user_agent=(user_agent or "")[:300],
        text_sha256=version.text_sha256, witnessed_by=witnessed_by,
    )
    audit_record(
        actor=witnessed_by, actor_label="" if witnessed_by else f"patient {patient.pk} (consent link)",
        action="consent_signed", obj=signature,
        changes={"patient": patient.pk, "version": version.number, "sha256": version.text_sha256,
                 "at_desk": witnessed_by is not None},
    )
    return signature
