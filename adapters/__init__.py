"""Adapters: the outside world behind interfaces the inner layers declare: the vault's key
store (`vault`), the event store's SQL dialects with the ledger's leaves written in the same
transaction (`persistence`: SQLite, PostgreSQL, in memory), the Kafka ingest loop
(`kafka_ingest`), process heartbeats and outage handling."""
