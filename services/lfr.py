"""The LFR application service: every command of the MPS stand-alone LFR process (DOMAIN.md §a).

The commands are grouped by stage in the modules it is built from; each loads, calls the
aggregate, and saves."""

from __future__ import annotations

from services.alert_commands import AlertCommands, Match
from services.authority_commands import AuthorityCommands
from services.base import Policy
from services.deployment_commands import DeploymentCommands, Template, watchlist_version
from services.equality_commands import EqualityCommands
from services.personal_data_commands import PersonalDataCommands
from services.publication_commands import PublicationCommands

__all__ = ["LfrService", "Match", "Policy", "Template", "watchlist_version"]


class LfrService(
    AuthorityCommands,
    DeploymentCommands,
    AlertCommands,
    PersonalDataCommands,
    PublicationCommands,
    EqualityCommands,
):
    """The one application: applications, authorities, deployments, alerts and personal data."""
