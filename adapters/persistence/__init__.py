"""The event store's SQL dialects: persistence modules for the eventsourcing library that keep
the ledger as events are stored, and the ledger's stores on each database (`sqlstore` is
what the dialects share; `pgstore`, `sqlitestore`, `memstore`), and the vault's key store
(`keystore`), all on the library's datastore (one connection pool per database).

Name one in PERSISTENCE_MODULE: `adapters.persistence.postgres`, `adapters.persistence.sqlite`
or `adapters.persistence.popo` (in memory). Each is the library's own module with its
application and process recorders replaced by ones that write the events' leaf hashes
in the same transaction as the events.
"""
