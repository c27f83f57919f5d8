"""Who may open which page: the same three roles, and the same rules, as the API
(clinic.roles). Whose records a page shows is clinic.roles.viewer_scope."""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic.roles import ADMIN, CLINIC_ADMIN, CLINICAL, DESK, FRONT_DESK, PROVIDER, sees_clinical_notes, user_roles

ROLE_WORDS = {CLINIC_ADMIN: "clinic admins", FRONT_DESK: "the front desk", PROVIDER: "providers"}
ROLE_ORDER = (CLINIC_ADMIN, FRONT_DESK, PROVIDER)


def refusal(allowed: frozenset[str], held: frozenset[str]) -> str:
    """Why a login may not open a page, in words (shown on the 403 page)."""
    if not held:
        return "Your login has no clinic role that may open this page; ask a clinic admin."
    words = [ROLE_WORDS[r] for r in ROLE_ORDER if r in allowed]
    mine = [ROLE_WORDS[r] for r in ROLE_ORDER if r in held]
    return (f"This page is for {' and '.join(words)} only, and your login is for {' and '.join(mine)}. "
            "Ask a clinic admin if you need it.")


def roles_required(allowed: Iterable[str]) -> Callable:
    """Signed in and holding one of the roles; anyone else is refused with 403."""
    allowed = frozenset(allowed)

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            held = user_roles(request.user)
            if not held & allowed:
                raise PermissionDenied(refusal(allowed, held))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def can(user) -> dict[str, bool]:
    """What the pages offer this user (buttons shown; the views check again)."""
    held = user_roles(user)
    desk = bool(held & DESK)
    return {
        "book": desk,
        "plan": desk,
        "reschedule": desk,
        "cancel": desk,
        "check_in": bool(held),
        "no_show": bool(held),
        "complete": bool(held & CLINICAL),
        "assess": bool(held & CLINICAL),
        "clinical": sees_clinical_notes(user),
        "dashboard": bool(held & ADMIN),
        "setup": bool(held & ADMIN),
        "admin": bool(held & ADMIN) and getattr(user, "is_staff", False),
    }
