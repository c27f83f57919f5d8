"""A protocol's consent document, its versions and the patients' signatures.

A version is never changed once published and a signature never after it is made: the
services have no update or delete path, and a database trigger (migration 0015) refuses
any UPDATE that changes a value and, on PostgreSQL, any DELETE of either table, so the
record a patient signed stays exactly as they read it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .series import TreatmentProtocol


class ConsentDocument(models.Model):
    """The consent form of one protocol; its words live in its versions."""

    protocol = models.OneToOneField(TreatmentProtocol, on_delete=models.PROTECT, related_name="consent_document")
    validity_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A signature counts for this many months; then the patient signs again.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=1, validity_months__lte=60), name="consent_validity_1_to_60_months"
            ),
        ]

    def __str__(self) -> str:
        return f"Consent for {self.protocol}"


class ConsentVersion(models.Model):
    """One published wording: a title and sections, each of which the patient ticks."""

    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    sections = models.JSONField(help_text="[{'title': ..., 'text': ...}, ...] in the order the patient reads them.")
    text_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the exact text the patient reads.")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="consent_version_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="consent_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"


class ConsentSignature(models.Model):
    """A patient's signature of one version: their typed name, a tick per section, when,
    from where, and the hash of the text they signed."""

    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signatures")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures")
    signed_name = models.CharField(max_length=170)
    sections_ticked = models.JSONField(help_text="The titles of the sections the patient ticked (all of them).")
    signed_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    text_sha256 = models.CharField(max_length=64)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Signed at the desk on the clinic's tablet, handed over by this member of staff.",
    )

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["patient", "version", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.signed_name} signed {self.version}"

    @property
    def at_desk(self) -> bool:
        return self.witnessed_by_id is not None
