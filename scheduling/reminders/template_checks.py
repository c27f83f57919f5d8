"""Message templates are checked when saved, so a clinic's edit cannot break sending or
reach beyond the message: the template must parse, use only the variables its channel
renders with (scheduling.reminders.variables, the one list per kind of message; a text
message sees first name, time, clinic and link only), and use only the tags that shape
words (if, for, with, firstof, cycle, spaceless, autoescape, filter, comment, now,
verbatim, widthratio, templatetag). `include`, `extends`, `load`, `url`, `csrf_token`,
`debug` and every tag a library adds (the admin's among them) read outside the message's
own context, and are refused with the reason."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.template import Template, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import (
    AutoEscapeControlNode,
    CommentNode,
    CycleNode,
    FilterNode,
    FirstOfNode,
    ForNode,
    IfNode,
    NowNode,
    SpacelessNode,
    TemplateTagNode,
    VerbatimNode,
    WidthRatioNode,
    WithNode,
)

from .variables import template_variables

ALLOWED_NODES = (
    TextNode, VariableNode, IfNode, ForNode, WithNode, FirstOfNode, CycleNode, SpacelessNode, AutoEscapeControlNode,
    FilterNode, CommentNode, NowNode, VerbatimNode, WidthRatioNode, TemplateTagNode,
)
TAG_NAMES = {
    "IncludeNode": "include", "ExtendsNode": "extends", "BlockNode": "block", "LoadNode": "load", "URLNode": "url",
    "CsrfTokenNode": "csrf_token", "DebugNode": "debug", "StaticNode": "static", "PrefixNode": "get_static_prefix",
}


def _names(expression: FilterExpression) -> Iterable[str]:
    """The first names of the variables an expression reads, its filters' arguments included."""
    candidates = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
    for candidate in candidates:
        if isinstance(candidate, Variable) and candidate.lookups:
            yield candidate.lookups[0]


class TooDeep(Exception):
    """Tags or a condition nested beyond MAX_NESTING."""


# Django parses and renders nested tags and conditions by recursion: far deeper than any
# message needs, and a template that passed here could still fail at send time.
MAX_NESTING = 25
TOO_DEEP = "The template nests tags or conditions too deeply to read; simplify it."


def _condition_expressions(condition, depth: int = 0) -> Iterable[FilterExpression]:
    """The expressions inside an {% if %} condition (a tree of operators and literals)."""
    if condition is None:
        return
    if depth > MAX_NESTING:
        raise TooDeep
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in ("first", "second"):
        child = getattr(condition, side, None)
        if child is not None:
            yield from _condition_expressions(child, depth + 1)


def _expressions(node: Node) -> Iterable[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _ in node.conditions_nodelists:
            yield from _condition_expressions(condition)
    elif isinstance(node, ForNode):
        yield node.sequence
    elif isinstance(node, WithNode):
        yield from node.extra_context.values()
    elif isinstance(node, FirstOfNode | CycleNode):
        yield from (node.vars if isinstance(node, FirstOfNode) else node.cyclevars)
    elif isinstance(node, FilterNode):
        yield node.filter_expr
    elif isinstance(node, WidthRatioNode):
        yield from (node.val_expr, node.max_expr, node.max_width)


def _walk(nodes, local: frozenset[str], problems: list[str], allowed: frozenset[str], depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise TooDeep
    for node in nodes:
        if not isinstance(node, ALLOWED_NODES):
            name = TAG_NAMES.get(type(node).__name__, getattr(node, "token", None) and node.token.contents.split()[0])
            problems.append(
                f"The {{% {name or type(node).__name__} %}} tag is not allowed: a message uses only its own words "
                "and variables."
            )
            continue
        for expression in _expressions(node):
            for name in _names(expression):
                if name not in allowed and name not in local:
                    problems.append(f"Unknown variable {{{{ {name} }}}}: use {_listed(allowed)}.")
        inner = local
        if isinstance(node, ForNode):
            inner = local | set(node.loopvars) | {"forloop"}
        elif isinstance(node, WithNode):
            inner = local | set(node.extra_context)
        for attribute in node.child_nodelists:
            _walk(getattr(node, attribute, None) or [], inner, problems, allowed, depth + 1)


def _listed(allowed: frozenset[str]) -> str:
    return "one of " + ", ".join(sorted(allowed))


def template_problems(source: str, *, kind: str, field: str) -> list[str]:
    """Why this text cannot be saved as `field` (email_subject, email_text, email_html or
    sms_body) of the template for messages of `kind`; empty if it can."""
    allowed = template_variables(kind, field)
    problems: list[str] = []
    try:
        template = Template(source)
        _walk(template.nodelist, frozenset(), problems, allowed)
    except TemplateSyntaxError as error:
        return [f"The template has a syntax error: {error}"]
    except (TooDeep, RecursionError):
        return [TOO_DEEP]
    return list(dict.fromkeys(problems))


def template_check(source: str, *, kind: str, field: str) -> str:
    """The template text, or a ValidationError giving every reason it cannot be saved."""
    problems = template_problems(source, kind=kind, field=field)
    if problems:
        raise ValidationError(problems)
    return source


# The fields of a MessageTemplate, each rendered as a template.
TEMPLATE_FIELDS = ("email_subject", "email_text", "email_html", "sms_body")
