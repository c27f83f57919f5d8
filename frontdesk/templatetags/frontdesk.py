from django import template

from ..charts import percent as as_percent

register = template.Library()


@register.filter
def get(mapping: dict, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def percent(share: float) -> str:
    return as_percent(share or 0.0)
