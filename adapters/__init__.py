"""Adapters: the outside world behind interfaces the inner layers declare: the vault's key
store, the Kafka ingest loop, the SQL dialects."""
