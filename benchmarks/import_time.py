"""How long `import modelbench` and `modelbench --help` take, and that litellm stays unloaded.

python benchmarks/import_time.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_OFFLINE_MODE": "true",
}


def timed(code: str, runs: int = 7) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True
        )
        times.append(time.perf_counter() - start)
        out = done.stdout.strip()
    return statistics.median(times), out


def main() -> None:
    base, _ = timed("pass")
    imp, loaded = timed("import sys, modelbench; print('litellm' in sys.modules)")
    helps, _ = timed(
        "import sys\nfrom modelbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    lit, _ = timed("import litellm", runs=3)
    print(f"python startup            {base * 1000:7.0f} ms")
    print(f"import modelbench         {imp * 1000:7.0f} ms  (litellm imported: {loaded})")
    print(f"modelbench --help         {helps * 1000:7.0f} ms")
    print(f"import litellm (for scale){lit * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
