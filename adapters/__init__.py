"""Adapters: the outside world behind interfaces the inner layers declare: the vault
(`vault`), the event store's SQL dialects with the ledger's leaves written in the same
transaction and the vault's key store on the same datastore (`persistence`: SQLite,
PostgreSQL, in memory), the Kafka ingest loop
(`kafka_ingest`), process heartbeats and outage handling."""
