"""Small guards shared by the aggregates; each raises the domain error that names the rule."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import NotPermitted, RuleViolation
from domain.values import Audit, Role


def require_role(audit: Audit, *roles: Role, doing: str) -> None:
    if audit.actor_role not in roles:  # a role equals its value
        allowed = " or ".join(role.value for role in roles)
        raise NotPermitted(
            f"only {allowed} may {doing}; {audit.actor_id} acts as {audit.actor_role}"
        )


def require(condition: bool, message: str) -> None:
    if not condition:
        raise RuleViolation(message)


def require_text(value: str, what: str) -> None:
    if not (value and value.strip()):  # the message made only when it is needed
        raise RuleViolation(f"{what} must be given")


def missing(required: Iterable[str], given: Iterable[str]) -> list[str]:
    present = set(given)
    return [item for item in required if item not in present]
