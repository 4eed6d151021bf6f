"""The outage suites' PostgreSQL: a cluster of the test's own, stopped and started at will."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.pg_cluster import Cluster, running_cluster


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A cluster on the test module's `PORT`, apart from the shared server and the other
    suites' clusters."""
    with running_cluster(request.module.PORT) as own:
        yield own
