"""The LFR application service: every command of the MPS stand-alone LFR process (DOMAIN.md §a).

The commands are grouped by stage in the modules it is built from; each loads, calls the
aggregate, and saves."""

from __future__ import annotations

from domain.alert_commands import AlertCommands, Match
from domain.authority_commands import AuthorityCommands
from domain.deployment_commands import DeploymentCommands, Template, watchlist_version
from domain.equality_commands import EqualityCommands
from domain.personal_data import PersonalDataCommands
from domain.publication_commands import PublicationCommands
from domain.service_base import Policy

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
