"""Helpers shared by the test suites: a real Kafka-protocol broker, synthetic videos."""
