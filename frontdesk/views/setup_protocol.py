"""Set-up pages for how the clinic treats and talks: the treatment protocol, the screening
rules, and the message templates with a preview for a sample patient."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import DomainError
from clinic.models import Location
from patients import services as patient_services
from patients.models import ScreeningRule
from scheduling.models import MessageTemplate, TreatmentProtocol
from scheduling.reminders.preview import template_preview
from scheduling.reminders.template_checks import TEMPLATE_FIELDS
from scheduling.reminders.variables import TEMPLATE_VARIABLES
from scheduling.services import protocol_setup

from ..setup.protocol_forms import MessageTemplateForm, ProtocolForm, ScreeningRuleForm
from .common import explain
from .setup import admin_only, setup_page


@require_http_methods(["GET", "POST"])
@admin_only
def protocol_edit(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = get_object_or_404(TreatmentProtocol, pk=protocol_id)
    form = ProtocolForm(request.POST or None, initial=ProtocolForm.initial_for(protocol))
    if request.method == "POST" and form.is_valid():
        try:
            protocol_setup.protocol_update(protocol=protocol, updated_by=request.user, **form.changes())
            messages.success(request, f"{protocol.name} is saved. New plans and moves follow it from now on; "
                                      "visits already booked stay where they are.")
            return redirect("frontdesk:setup-protocol", protocol.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "protocol.html", {"form": form, "protocol": protocol},
                      status=400 if form.errors else 200)


# --- Screening rules --------------------------------------------------------------------
@require_http_methods(["GET"])
@admin_only
def screening_rules(request: HttpRequest) -> HttpResponse:
    return setup_page(request, "screening.html", {"rules": ScreeningRule.objects.order_by("-is_active", "label")})


RULE_FIELDS = tuple(ScreeningRuleForm.base_fields)


@require_http_methods(["GET", "POST"])
@admin_only
def screening_rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = get_object_or_404(ScreeningRule, pk=rule_id) if rule_id else None
    initial = {name: getattr(rule, name) for name in RULE_FIELDS} if rule else {"is_active": True}
    form = ScreeningRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("delete") == "yes" and rule is not None:
        patient_services.screening_rule_delete(rule=rule, deleted_by=request.user)
        messages.success(request, f"The rule \u201c{rule.label}\u201d is removed; past assessments keep their copy.")
        return redirect("frontdesk:setup-screening")
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RULE_FIELDS}
        try:
            if rule:
                rule = patient_services.screening_rule_update(rule=rule, updated_by=request.user, **fields)
            else:
                rule = patient_services.screening_rule_create(created_by=request.user, **fields)
            messages.success(request, f"The rule \u201c{rule.label}\u201d is saved.")
            return redirect("frontdesk:setup-screening")
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "screening_rule.html", {"form": form, "rule": rule},
                      status=400 if form.errors else 200)


# --- Message templates ------------------------------------------------------------------
def _template(kind: str) -> MessageTemplate:
    template = MessageTemplate.objects.filter(kind=kind).first()
    if template is None:
        raise Http404("There is no message of that kind.")
    return template


def _sample_location() -> Location | None:
    return Location.objects.filter(is_active=True).order_by("name").first()


@require_http_methods(["GET"])
@admin_only
def message_templates(request: HttpRequest) -> HttpResponse:
    return setup_page(request, "messages.html", {"templates": MessageTemplate.objects.order_by("kind")})


@require_http_methods(["GET", "POST"])
@admin_only
def message_template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    template = _template(kind)
    form = MessageTemplateForm(request.POST or None,
                               initial={name: getattr(template, name) for name in TEMPLATE_FIELDS})
    location = _sample_location()
    preview = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TEMPLATE_FIELDS}
        preview = template_preview(kind=kind, fields=fields, location=location)
        if request.POST.get("action") != "preview":
            try:
                protocol_setup.message_template_update(template=template, updated_by=request.user, **fields)
                messages.success(request, f"The {template.get_kind_display().lower()} message is saved.")
                return redirect("frontdesk:setup-message", kind)
            except DomainError as error:
                explain(form, error)
    if preview is None:
        fields = {name: (form[name].value() or "") for name in TEMPLATE_FIELDS}
        preview = template_preview(kind=kind, fields=fields, location=location)
    for name, problems in preview.problems.items():
        if request.method == "POST" and name in form.fields and not form.has_error(name):
            for problem in problems:
                form.add_error(name, problem)
    return setup_page(request, "message.html", {
        "form": form, "template": template, "preview": preview, "sample_location": location,
        "variables": sorted(TEMPLATE_VARIABLES.get(kind, ())),
    }, status=400 if form.errors else 200)


@require_POST
@admin_only
def message_template_preview(request: HttpRequest, kind: str) -> JsonResponse:
    """The preview as the admin types: the four parts for a sample patient, or the
    reasons a part cannot be rendered."""
    _template(kind)
    fields = {name: request.POST.get(name, "")[:20000] for name in TEMPLATE_FIELDS}
    preview = template_preview(kind=kind, fields=fields, location=_sample_location())
    return JsonResponse(preview.as_dict())
