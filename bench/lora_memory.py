"""Peak memory and time of full fine-tuning vs LoRA, each in a process of its own (lesson 14, issue 18).

Lesson 14 counts the training state it can read back (weights, gradients, AdamW's moments). What a machine must
hold is more: activations, the tokenizer, the data, the Python process. This benchmark runs the same
``ftcourse train-classifier`` command twice on the same Davidson rows, once plain and once with ``--lora``, each in
a fresh process whose resident size is sampled every 50 ms, and records peak RSS, wall time, the trainer's own
examples/s, trainable parameters and validation macro-F1 (from each run's ``training_info.json``).

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/lora_memory.py [--max-rows 2000]
Writes bench/results/lora_memory.json and .md. Run it on an otherwise idle machine: wall time and examples/s
depend on the load; peak memory much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {"full fine-tuning": ["--learning-rate", "2e-5"], "LoRA r=8": ["--lora", "--lora-r", "8", "--learning-rate", "5e-4"]}


def run_sampled(command: list[str], env: dict, interval: float = 0.05) -> tuple[float, float, int]:
    """Run ``command``; return (peak resident MiB of it and its children, wall seconds, exit status)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            try:
                processes = [watched, *watched.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in processes) / 2**20)
            except psutil.Error:  # the process ended between poll() and the read
                break
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    sampler.join()
    if child.returncode != 0:
        print(stderr[-3000:], file=sys.stderr)
    return peak[0], time.perf_counter() - started, child.returncode


def measure(max_rows: int, epochs: float, workdir: Path) -> dict:
    """Both variants, one fresh process each, the same rows, epochs, batch size and seed."""
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    rows = {}
    for name, extra in VARIANTS.items():
        out = workdir / name.split()[0].lower()
        command = [
            sys.executable, "-m", "ftcourse", "train-classifier", "--data", "davidson", "--max-rows", str(max_rows),
            "--epochs", str(epochs), "--batch-size", "32", "--max-length", "128", "--seed", "42", "--output", str(out), *extra,
        ]  # fmt: skip
        peak_mib, seconds, status = run_sampled(command, env)
        info = json.loads((out / "training_info.json").read_text()) if status == 0 else {}
        validation = (info.get("final_metrics") or {}).get("validation") or {}
        rows[name] = {
            "peak_rss_mib": round(peak_mib, 1),
            "wall_seconds": round(seconds, 1),
            "train_seconds": info.get("duration_seconds"),
            # the same definition as the Trainer's train_samples_per_second: rows x epochs run / training seconds
            "examples_per_second": info["train_size"] * float(info["epochs_run"]) / info["duration_seconds"] if info else None,
            "validation_macro_f1": validation.get("f1_macro"),
            "exit_status": status,
        }
    return rows


def write(rows: dict, settings: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    record = {"settings": settings, "variants": rows}
    (RESULTS / "lora_memory.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Full fine-tuning vs LoRA: peak memory and time, one fresh process each",
        "",
        f"Command: `ftcourse train-classifier --data davidson --max-rows {settings['max_rows']} --epochs {settings['epochs']} "
        "--batch-size 32 --max-length 128` (+ `--lora --lora-r 8 --learning-rate 5e-4`, or `--learning-rate 2e-5`).",
        f"Machine: {settings['machine']}; measured {settings['when']}; load average at the start {settings['load_average']}.",
        "",
        "| variant | peak RSS (MiB) | wall (s) | training (s) | examples/s | validation macro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        f1 = f"{r['validation_macro_f1']:.3f}" if r["validation_macro_f1"] is not None else "-"
        rate = f"{r['examples_per_second']:.1f}" if r["examples_per_second"] is not None else "-"
        lines.append(f"| {name} | {r['peak_rss_mib']:.0f} | {r['wall_seconds']:.1f} | {r['train_seconds']} | {rate} | {f1} |")
    failed = [name for name, r in rows.items() if r["exit_status"] != 0]
    lines += ["", "Peak RSS covers the whole process (Python, libraries, data, activations), sampled every 50 ms."]
    lines += [f"FAILED (no numbers): {', '.join(failed)}"] if failed else []
    lines += [f"Threads: {settings['threads']}. {settings['note']}".strip()]
    (RESULTS / "lora_memory.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=2000)
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--note", default="", help="the conditions of this run, written under the table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ftcourse-lora-memory-") as work:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        rows = measure(args.max_rows, args.epochs, Path(work))
    settings = {
        "max_rows": args.max_rows,
        "epochs": args.epochs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": load,
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "note": args.note,
    }
    write(rows, settings)
    print((RESULTS / "lora_memory.md").read_text())


if __name__ == "__main__":
    main()
