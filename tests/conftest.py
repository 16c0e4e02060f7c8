"""Test-session settings: one BLAS thread per test process, so that pytest-xdist's
workers (one per core) do not oversubscribe the machine."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    with threadpool_limits(1):
        yield
