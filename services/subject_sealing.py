"""What the commands share to seal an alert's personal data under the alert's own key."""

from __future__ import annotations

from domain.alert import Alert
from domain.errors import DataErased
from domain.sealing import TextSealer, text_sealer
from domain.watchlist import WatchlistEntry
from services.base import ServiceBase


class SubjectSealing(ServiceBase):
    """Sealing under a data subject's key, for the command groups that record about alerts."""

    def _seals(self, alert: Alert) -> TextSealer:
        """Seals officers' text about the alert's person under the alert's key."""
        return text_sealer(self.sealer, alert.id)

    def kept_watchlist_image(self, alert: Alert) -> bytes:
        """The matched watchlist image sealed under the alert's key, for a hold to keep past
        the watchlist's erasure; b"" once the entry is erased (nothing left to keep)."""
        entry = self.load(WatchlistEntry, alert.entry_id)
        if entry.erased:
            return b""
        try:
            image = self.sealer.open(str(entry.id), entry.sealed_image)
        except DataErased:  # its key destroyed, its erasure event not yet stored
            return b""
        return self.sealer.seal(str(alert.id), image)
