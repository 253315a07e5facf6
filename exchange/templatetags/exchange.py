from django import template

from exchange.admin import can_import as _can_import

register = template.Library()


@register.filter
def can_import(user) -> bool:
    """Whether the user may import fixtures (shows the admin's "Import fixture" link)."""
    return _can_import(user)
