"""Peak resident memory of a block of code, sampled from a background thread (bench helper)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psutil


@contextmanager
def peak_rss(interval: float = 0.05):
    """Yield a dict that, after the block, holds ``start_mib``, ``peak_mib`` and ``delta_mib`` of this process."""
    process = psutil.Process()
    result = {"start_mib": process.memory_info().rss / 2**20}
    peak = [result["start_mib"]]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss / 2**20)
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], process.memory_info().rss / 2**20)
        result.update(
            peak_mib=round(peak[0], 1),
            delta_mib=round(peak[0] - result["start_mib"], 1),
            seconds=round(time.perf_counter() - start, 2),
        )
        result["start_mib"] = round(result["start_mib"], 1)
