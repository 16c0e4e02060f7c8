"""Dask worker preload: ``dask worker ADDRESS --nthreads 1 --preload bench.worker``.

Imports the harness and every registered strategy and objective when the
worker starts (not at its first run) and pins BLAS to one thread, so N
single-threaded workers use N cores.
"""

from threadpoolctl import threadpool_limits

from bench.registry import default_registry

threadpool_limits(1)
default_registry()
