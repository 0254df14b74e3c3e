"""Running a benchmark on Ray workers: ``Benchmark(..., workers=N, ray_address=...)``.

The driver (the process that called ``run``) keeps planning, the cache, scoring and the
results file; Ray workers each run the in-process engine on a share of the keys and stream
rows back. Per-backend rpm / tpm / max_parallel hold for the whole run through one shared
actor. Ray is optional: ``pip install 'modelbench[ray]'``.
"""

from modelbench.bench.distributed._cluster import import_ray, ray_session, require_ray
from modelbench.bench.distributed._driver import RayExecution

__all__ = ["RayExecution", "import_ray", "ray_session", "require_ray"]
