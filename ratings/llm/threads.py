"""How many CPU threads llama.cpp gets, and keeping OpenMP from spinning on shared cores.

``ANCHOR_LLM_THREADS=auto`` (the default) gives a worker the cores that are free when it loads
its model: the CPUs this process may run on, minus the 1-minute load average, rounded, at least
1 and at most the physical cores among them (a hyperthread sibling adds little to llama.cpp's
matrix products). The choice is made once per process, so every task of a worker uses the same
loaded model.

llama.cpp's CPU backend runs its threads in OpenMP (libgomp) parallel regions. With the default
wait policy an idle OpenMP thread spins before it sleeps; when the cores are shared with other
processes the spinning threads take the CPU from the thread that has work (measured on a busy
2-core machine: 84% of llama.cpp's samples in libgomp with 2 threads). libgomp reads
``OMP_WAIT_POLICY`` once, when it is loaded, so ``keep_openmp_from_spinning`` must run before
``llama_cpp`` is imported: the Celery app calls it at start and the model loader again before
its import.
"""

import functools
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from .errors import LlmPermanentError

ThreadsSetting = int | Literal["auto"]

_CPU_SYSFS = Path("/sys/devices/system/cpu")


def choose_threads(*, cpus: int, load_average: float, physical_cores: int) -> int:
    """The threads for a worker on a machine with ``cpus`` usable CPUs, ``physical_cores`` of
    them distinct cores, and ``load_average`` runnable processes on average over the last
    minute: ``max(1, min(physical_cores, round(cpus - load_average)))`` (halves round up).

    >>> choose_threads(cpus=2, load_average=0.3, physical_cores=2)
    2
    >>> choose_threads(cpus=2, load_average=3.8, physical_cores=2)
    1
    >>> choose_threads(cpus=16, load_average=4.5, physical_cores=8)
    8
    """
    if cpus < 1 or physical_cores < 1:
        raise ValueError(f"A machine has at least one CPU (got cpus={cpus}, "
                         f"physical_cores={physical_cores}).")
    free = math.floor(cpus - max(load_average, 0.0) + 0.5)
    return max(1, min(free, physical_cores, cpus))


def physical_core_count(cpus: Iterable[int], sysfs: Path = _CPU_SYSFS) -> int:
    """Distinct (package, core) pairs among ``cpus`` per Linux sysfs; the CPU count when the
    topology cannot be read (then every CPU counts as a core)."""
    cpus = list(cpus)
    cores = set()
    for cpu in cpus:
        topology = sysfs / f"cpu{cpu}" / "topology"
        try:
            cores.add(((topology / "physical_package_id").read_text().strip(),
                       (topology / "core_id").read_text().strip()))
        except OSError:
            return len(cpus)
    return len(cores) or len(cpus)


def usable_cpus() -> set[int]:
    """The CPUs this process may run on (its affinity mask, which containers and taskset set)."""
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


@functools.cache
def auto_threads() -> int:
    """``choose_threads`` on this machine now; computed once per process."""
    cpus = usable_cpus()
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: assume the machine is idle
        load = 0.0
    return choose_threads(cpus=len(cpus), load_average=load,
                          physical_cores=physical_core_count(sorted(cpus)))


def parse_threads_setting(value: str | int) -> ThreadsSetting:
    """``"auto"`` or a positive whole number (the ``ANCHOR_LLM_THREADS`` setting); anything
    else raises ``LlmPermanentError`` (a worker then refuses to start, saying why)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        threads = int(value)
    except (TypeError, ValueError):
        raise LlmPermanentError(
            f"ANCHOR_LLM_THREADS must be 'auto' or a whole number, not {value!r}.") from None
    if threads < 1:
        raise LlmPermanentError(f"ANCHOR_LLM_THREADS must be at least 1, not {threads}.")
    return threads


def resolve_threads(setting: ThreadsSetting | str) -> int:
    """The thread count to load a model with: the number given, or ``auto_threads()``."""
    parsed = parse_threads_setting(setting)
    return auto_threads() if parsed == "auto" else parsed


def keep_openmp_from_spinning() -> None:
    """Make idle OpenMP threads sleep instead of spin (``OMP_WAIT_POLICY=PASSIVE``), unless the
    environment already says otherwise. Effective only before libgomp is loaded."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
