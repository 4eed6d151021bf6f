"""Errors the command line reports as a one-line reason."""


class UserError(Exception):
    """Bad input or configuration: reported in one line, exit status 2."""


class ConfigurationError(UserError):
    """A setting is missing or not allowed in this environment."""


class UsageError(UserError):
    """The command line itself is wrong; the message already names the command."""
