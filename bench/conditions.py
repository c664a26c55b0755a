"""The conditions a benchmark ran under, recorded beside its numbers: threads, machine, time and load."""

from __future__ import annotations

import os
import platform
import time

import torch


def measured_conditions() -> dict:
    """``threads`` (torch's intra-op threads), ``machine``, ``measured`` (UTC) and the load average as the run ends.

    A run at one thread while another job holds the second core reads slower than an idle one: the load average says
    which it was.
    """
    return {
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_end": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
