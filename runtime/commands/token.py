"""`lfr token issue`: a signed bearer token for the API (development and tests)."""

from __future__ import annotations

import argparse

from api.auth import TokenError, issue_token
from runtime.errors import UserError
from runtime.settings import Settings


def issue(args: argparse.Namespace, settings: Settings) -> int:
    """Prints a token for `--user` holding every `--role`, valid for `--hours`.

    In production the token secret must be configured (LFR_TOKEN_SECRET): no default."""
    try:
        token = issue_token(settings.secret("token_secret"), args.user, args.role, args.hours)
    except TokenError as error:
        raise UserError(str(error)) from None
    print(token)
    return 0
