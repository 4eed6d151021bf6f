"""The model of the MPS Live Facial Recognition process (DOMAIN.md): aggregates, their events
and rules, values and enums. Pure: the standard library and `eventsourcing.domain` only
(`lint-imports` and tests/domain/test_purity.py check it); nothing here stores, sends or reads.

- `authorisation`, `authority_rules`: the application and its Written Authority;
- `deployment`, `watchlist`: the deployment, its watchlist and its entries;
- `alert`: an alert from a match to its adjudication, engagement, outcome, hold and erasure;
- `records`, `equality`, `publication`, `broker_log`: tallies and logs, equality reviews,
  the public register's events, the broker's log epochs;
- `values`, `access`, `rules`, `errors`, `sealing`, `text`, `probe`: shared values and
  enums, who may act on what, rule helpers, refusals, how personal data is sealed before it
  enters an event, what a probe image must be.
The commands that load, call and save these live in `services`.
"""
