"""Errors a user can fix (bad input, a missing or wrong setting): the command line reports
each as a one-line reason, the API as a 4xx."""


class UserError(Exception):
    """Bad input or configuration: reported in one line, exit status 2."""


class ConfigurationError(UserError):
    """A setting is missing or not allowed in this environment."""


class UsageError(UserError):
    """The command line itself is wrong; the message already names the command."""
