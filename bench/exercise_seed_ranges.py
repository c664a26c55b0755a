"""Expected outputs of every exercise solution, and their normal range across seeds (the instructor kit of issue 19).

Each solution notebook runs in the fast profile at several seeds; its ``metrics.json`` (Part B's numbers and Part C's
decision) is flattened, and every value is reported at the course's default seed (42) beside its range over the other
seeds. An instructor reads a learner's number against that range: inside it, the learner's run is a normal one;
outside it, something in their protocol differs.

Results: ``bench/results/exercise_seed_ranges.json`` (every run's flattened metrics, written after each run, so an
interrupted run resumes where it stopped) and ``exercise_seed_ranges.md`` (the table).

Run (about 30-60 s per notebook and seed on a 2-core CPU):
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/exercise_seed_ranges.py
    ... bench/exercise_seed_ranges.py --seeds 0 1 2 --notebooks solutions/13_data_centric_exercise.ipynb --rerun
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from ftcourse.notebooks import REPO_ROOT, run_notebook

RESULTS = REPO_ROOT / "bench" / "results"
DEFAULT_SEED = 42


def flatten(value, prefix: str = "") -> dict:
    """``{"a": {"b": [1, 2]}}`` -> ``{"a.b[0]": 1, "a.b[1]": 2}``: one entry per number, string or boolean."""
    if isinstance(value, dict):
        items = {}
        for key, inner in value.items():
            items |= flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(value, list):
        items = {}
        for i, inner in enumerate(value):
            items |= flatten(inner, f"{prefix}[{i}]")
        return items
    return {prefix: value}


def summarise(runs: dict[str, dict]) -> dict:
    """Per metric: the default seed's value and the range (numbers) or the distinct values (decisions) over the others."""
    default = runs.get(str(DEFAULT_SEED), {})
    others = [metrics for seed, metrics in runs.items() if seed != str(DEFAULT_SEED)]
    table = {}
    for key in sorted({k for metrics in runs.values() for k in metrics}):
        values = [m[key] for m in others if key in m]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(values):
            spread = f"{min(numbers):.4g} to {max(numbers):.4g}"
        else:
            values = [str(v) for v in values]
            spread = ", ".join(f"{v} ({values.count(v)})" for v in sorted(set(values)))
        table[key] = {"default_seed": default.get(key), "other_seeds": spread, "n_other_seeds": len(values)}
    return table


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else _cell(str(value))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a "|" inside a value (a feature name such as |u - v|) would end the table cell


def write_markdown(results: dict, path: Path) -> None:
    lines = [
        "# Exercise solutions: expected outputs and their range across seeds",
        "",
        f"Fast profile, every solution notebook run end to end (`bench/exercise_seed_ranges.py`); machine: {results['machine']}. "
        f"Seeds: {DEFAULT_SEED} (the default, the value to expect) and {', '.join(map(str, results['other_seeds']))} (the range). "
        "A learner's value outside the range is worth a look at their protocol; one inside it is a normal run. "
        "Keys are the notebooks' `metrics.json` entries (lists flattened as `[0]`, `[1]`).",
        "",
        *([f"Conditions: {results['note']}", ""] if results.get("note") else []),
    ]
    for notebook, entry in sorted(results["notebooks"].items()):
        lines += [f"## {notebook}", "", "| metric | seed 42 | other seeds |", "|---|---|---|"]
        for key, row in entry["summary"].items():
            lines.append(f"| `{_cell(key)}` | {_format(row['default_seed'])} | {_cell(row['other_seeds'])} |")
        seconds = ", ".join(f"{s}: {t:.0f} s" for s, t in sorted(entry["seconds"].items()))
        lines += ["", f"Wall time per seed: {seconds}.", ""]
    path.write_text("\n".join(lines))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds beside the default 42")
    parser.add_argument("--notebooks", nargs="*", default=None, help="default: every solution notebook")
    parser.add_argument("--rerun", action="store_true", help="run again even where a result is stored")
    parser.add_argument("--note", default=None, help="the run's conditions (load, threads), printed under the title")
    parser.add_argument("--markdown-only", action="store_true", help="rewrite the .md from the stored runs, run nothing")
    args = parser.parse_args(argv)
    notebooks = [Path(n) for n in args.notebooks] if args.notebooks else sorted((REPO_ROOT / "solutions").glob("*.ipynb"))
    json_path = RESULTS / "exercise_seed_ranges.json"
    results = json.loads(json_path.read_text()) if json_path.is_file() else {"notebooks": {}}
    if args.note:
        results["note"] = args.note
    if args.markdown_only:
        for entry in results["notebooks"].values():
            entry["summary"] = summarise(entry["runs"])
        write_markdown(results, RESULTS / "exercise_seed_ranges.md")
        return
    results |= {"machine": f"{platform.machine()}, {platform.system()}", "other_seeds": args.seeds}
    with tempfile.TemporaryDirectory(prefix="ftcourse-seeds-") as tmp:
        for notebook in notebooks:
            entry = results["notebooks"].setdefault(notebook.stem, {"runs": {}, "seconds": {}})
            if args.rerun:
                entry["runs"], entry["seconds"] = {}, {}
            for seed in [DEFAULT_SEED, *args.seeds]:
                if str(seed) in entry["runs"]:
                    continue
                started = time.perf_counter()
                try:
                    run = run_notebook(notebook, Path(tmp) / "executed", Path(tmp) / f"seed{seed}", seed=seed, timeout=900)
                except Exception as error:  # a solution that fails at another seed is a finding, not a reason to stop
                    entry["runs"][str(seed)] = {"FAILED": f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:300]}"}
                    entry["seconds"][str(seed)] = time.perf_counter() - started
                else:
                    entry["runs"][str(seed)] = flatten(run.metrics)
                    entry["seconds"][str(seed)] = run.seconds
                entry["summary"] = summarise(entry["runs"])
                entry["measured"] = time.strftime("%Y-%m-%d %H:%M")
                json_path.write_text(json.dumps(results, indent=1) + "\n")
                print(f"{notebook.stem} seed {seed}: {entry['seconds'][str(seed)]:.0f} s", flush=True)
    write_markdown(results, RESULTS / "exercise_seed_ranges.md")


if __name__ == "__main__":
    main()
