"""The page views' one access decorator: a project right from the policy, or 404."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_login import current_user, login_required

from ..services.policy import project_access, require

# endpoint → the project right its decorator requires (the role matrix test reads it).
REQUIRED_RIGHTS: dict[str, str] = {}


def requires(right: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in, and granted ``right`` (``can_read_audit``…) by the policy; anyone else is
    answered as ``policy.require`` says (404: the page does not exist for them)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(project_access(current_user), right)
            return view(*args, **kwargs)

        wrapped.required_right = right  # type: ignore[attr-defined]
        return wrapped

    return decorate
