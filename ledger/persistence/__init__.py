"""Persistence modules for the eventsourcing library that keep the ledger as events are stored.

Name one in PERSISTENCE_MODULE: `ledger.persistence.postgres`, `ledger.persistence.sqlite`
or `ledger.persistence.popo` (in memory). Each is the library's own module with its
application and process recorders replaced by ones that write the events' leaf hashes
in the same transaction as the events.
"""
