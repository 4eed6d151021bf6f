"""Domain errors: each says which rule refused the command, in the domain's words."""


class DomainError(Exception):
    """A command refused by the domain."""

    status = "refused"


class RuleViolation(DomainError):
    """The command breaks a rule of the MPS process (DOMAIN.md §b)."""

    status = "rule"


class NotPermitted(DomainError):
    """The actor's role may not give this command."""

    status = "forbidden"


class NotFound(DomainError):
    """No such application, deployment, watchlist entry or alert."""

    status = "not_found"


class ConcurrentChange(DomainError):
    """Someone else changed the same record first; reload and try again."""

    status = "conflict"


class DataErased(DomainError):
    """The personal data asked for has been erased under a retention rule."""

    status = "gone"
