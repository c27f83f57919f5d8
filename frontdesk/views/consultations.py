"""A provider records the assessment (with the clinic's screening rules) and
acknowledges a caution; the same services the API calls."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_clinical_reads
from clinic.errors import DomainError
from clinic.roles import CLINICAL, viewer_scope
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.intake import answer_words, intake_suggested_findings
from patients.screening import Finding, consultation_cautions_open
from scheduling import services
from scheduling.services.intake import intake_answers

from ..access import roles_required
from ..forms import AssessmentForm
from .common import explain, page


def _consultation(request: HttpRequest, consultation_id: int):
    visible = patient_selectors.consultation_visible(provider=viewer_scope(request.user))
    return get_object_or_404(visible, pk=consultation_id)


@require_http_methods(["GET", "POST"])
@roles_required(CLINICAL)
def assess(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation(request, consultation_id)
    rules = list(patient_selectors.screening_rules(active_only=True))
    answers = intake_answers(getattr(consultation, "intake", None))
    if answers and request.method == "GET":
        # The patient's health answers are part of the clinical record: their reading is audited.
        audit_clinical_reads(reader=request.user, records=[consultation], via=f"GET {request.path}")
    suggested = intake_suggested_findings(answers)
    patient = consultation.patient
    initial = {"fitzpatrick_type": patient.fitzpatrick_type, "concerns": patient.skin_concerns}
    # The patient's answers pre-tick what they suggest; the provider confirms or unticks.
    for finding in suggested:
        initial[f"finding_{finding.condition}"] = True
        if finding.last_present_on:
            initial[f"last_{finding.condition}"] = finding.last_present_on
    form = AssessmentForm(request.POST or None, rules=rules, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessed = services.consultation_assess(
                consultation=consultation, assessed_by=request.user,
                findings=[Finding(condition, last) for condition, last in form.findings()],
                fitzpatrick_type=data["fitzpatrick_type"], concerns=data["concerns"],
                recommended_sessions=data["recommended_sessions"], areas=form.areas(),
                clinical_notes=data["clinical_notes"], outcome=data["outcome"] or None,
                deferred_until=data["deferred_until"],
            )
        except DomainError as error:
            explain(form, error)
        else:
            outcome = assessed.get_outcome_display().lower()
            extra = ""
            if assessed.deferred_until:
                extra = f" until {assessed.deferred_until:%d %b %Y}"
            if consultation_cautions_open(assessed):
                extra += "; a caution needs acknowledging before a series is planned"
            messages.success(request, f"Assessment recorded: {outcome}{extra}.")
            return redirect("frontdesk:patient", consultation.patient_id)
    return page(request, "assess.html", {
        "consultation": consultation, "form": form, "patient": consultation.patient, "suggested": suggested,
        "answers": [(a.question_text, answer_words(a.question, a.answer)) for a in answers],
        "intake": getattr(consultation, "intake", None)})


@require_POST
@roles_required(CLINICAL)
def acknowledge_caution(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation(request, consultation_id)
    try:
        patient_services.consultation_acknowledge_caution(consultation=consultation, acknowledged_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Caution acknowledged: a series can now be planned.")
    return redirect("frontdesk:patient", consultation.patient_id)
