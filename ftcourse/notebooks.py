"""Running the course: execute notebooks with papermill, render them to HTML, and write an index page."""

from __future__ import annotations

import html
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ftcourse.data import DATA_DIR_ENV
from ftcourse.errors import DataError, UsageError
from ftcourse.files import check_output

REPO_ROOT = Path(__file__).resolve().parent.parent


NOTEBOOK_DIR = REPO_ROOT / "notebooks"


@dataclass
class NotebookRun:
    """What one papermill run produced."""

    notebook: Path  # the source notebook
    executed: Path  # the executed copy, with outputs
    output_dir: Path  # where the notebook wrote metrics.json and its artefacts
    seconds: float  # wall time of the run
    metrics: dict  # the notebook's metrics.json ({} if it wrote none)


def list_notebooks(folder: str | os.PathLike = NOTEBOOK_DIR) -> list[Path]:
    """The lesson notebooks of ``folder`` in course order (by their number prefix)."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def notebook_title(path: str | os.PathLike) -> str:
    """The first Markdown heading of a notebook, or its file name when it has none."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(path).stem


@contextmanager
def absolute_data_dir() -> Iterator[None]:
    """While it is open, a relative ``FTCOURSE_DATA_DIR`` is made absolute from the current folder.

    A kernel runs in its notebook's folder: ``FTCOURSE_DATA_DIR=../shared/data`` given at the repository root would
    otherwise be read from ``notebooks/`` there and find nothing. The kernel inherits the absolute form; the variable is
    restored on exit.
    """
    given = os.environ.get(DATA_DIR_ENV)
    if given and not Path(given).expanduser().is_absolute():
        os.environ[DATA_DIR_ENV] = str(Path(given).expanduser().resolve())
    try:
        yield
    finally:
        if given is not None:
            os.environ[DATA_DIR_ENV] = given


def run_notebook(
    notebook: str | os.PathLike,
    executed_dir: str | os.PathLike,
    output_root: str | os.PathLike,
    profile: str = "fast",
    seed: int = 42,
    extra_parameters: dict | None = None,
    kernel_name: str = "python3",
    timeout: int | None = None,
) -> NotebookRun:
    """Execute one notebook with papermill.

    Args:
        notebook: the ``.ipynb`` to run.
        executed_dir: where the executed copy is written.
        output_root: the notebook writes its artefacts to ``output_root/<notebook stem>``.
        profile: ``"fast"`` or ``"full"``, injected as ``PROFILE``.
        seed: injected as ``SEED``.
        extra_parameters: further parameters to inject.
        kernel_name: Jupyter kernel to run it in.
        timeout: seconds allowed per cell (None = no limit).

    Returns:
        A :class:`NotebookRun`. Papermill's ``PapermillExecutionError`` propagates when a cell fails;
        the executed copy then shows the failing cell.
    """
    import papermill

    notebook = Path(notebook).resolve()
    executed = Path(executed_dir).resolve() / notebook.name
    output_dir = Path(output_root).resolve() / notebook.stem
    executed.parent.mkdir(parents=True, exist_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    parameters = {"PROFILE": profile, "SEED": seed, "OUTPUT_DIR": str(output_dir), **(extra_parameters or {})}
    start = time.perf_counter()
    with absolute_data_dir():
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=kernel_name,
            language="python",  # a notebook saved without a kernelspec runs in the course's Python kernel
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=timeout,
        )
    seconds = time.perf_counter() - start
    metrics_path = output_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return NotebookRun(notebook, executed, output_dir, seconds, metrics)


STYLESHEET = "notebook.css"  # nbconvert's theme, written once per folder instead of inlined in every page


def render_html(executed: str | os.PathLike, html_dir: str | os.PathLike) -> Path:
    """Render an executed notebook to ``html_dir/<stem>.html`` with nbconvert; returns the page's path.

    The theme's styles go to ``html_dir/notebook.css`` (:func:`share_stylesheet`), which every page links.
    """
    from nbconvert import HTMLExporter

    html_dir = Path(html_dir)
    html_dir.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_filename(str(executed))
    page = html_dir / (Path(executed).stem + ".html")
    page.write_text(share_stylesheet(body, html_dir), encoding="utf-8")
    return page


def share_stylesheet(page_html: str, html_dir: str | os.PathLike) -> str:
    """Move the ``<style>`` blocks of a page's ``<head>`` to ``html_dir/notebook.css`` and link that file instead.

    nbconvert inlines about 260 kB of theme CSS into every page, the same in each; a folder of pages then holds one copy.
    Styles inside the body (a table's own CSS) stay where they are.

    Args:
        page_html: a page as nbconvert writes it.
        html_dir: the folder the page will be written to.

    Returns:
        The page with one ``<link>`` in place of its head styles (unchanged when it has none). A ``notebook.css`` already in
        ``html_dir`` is replaced: pages rendered there by another nbconvert version take the newer theme.
    """
    head_end = page_html.find("</head>")
    head = page_html[:head_end] if head_end >= 0 else ""
    blocks = re.findall(r"<style[^>]*>.*?</style>", head, flags=re.S)
    if not blocks:
        return page_html
    css = "\n".join(re.sub(r"^<style[^>]*>|</style>$", "", block) for block in blocks)
    (Path(html_dir) / STYLESHEET).write_text(css, encoding="utf-8")
    first = head.find(blocks[0])
    for block in blocks:
        head = head.replace(block, "", 1)
    head = head[:first] + f'<link rel="stylesheet" href="{STYLESHEET}"/>' + head[first:]
    return head + page_html[head_end:]


def write_index(runs: list[NotebookRun], html_dir: str | os.PathLike, profile: str) -> Path:
    """Write ``html_dir/index.html`` linking every rendered page in ``html_dir``, in course order.

    Wall times come from ``runs`` and from earlier runs recorded in ``html_dir/timings.json``, so
    running one lesson again keeps the links and times of the others.
    """
    html_dir = Path(html_dir)
    timings_path = html_dir / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    timings.update(
        {r.executed.stem: {"seconds": round(r.seconds, 1), "profile": profile, "title": notebook_title(r.executed)} for r in runs}
    )
    timings_path.write_text(json.dumps(timings, indent=2, sort_keys=True))
    pages = sorted(p.stem for p in html_dir.glob("*.html") if p.name != "index.html")
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(stem)}.html">{html.escape(stem)}</a></td>'
        f"<td>{html.escape(timings.get(stem, {}).get('title', stem))}</td>"
        f"<td>{timings[stem]['seconds']:.0f} s ({html.escape(timings[stem]['profile'])})</td></tr>"
        if stem in timings
        else f'<tr><td><a href="{html.escape(stem)}.html">{html.escape(stem)}</a></td><td></td><td></td></tr>'
        for stem in pages
    )
    page = html_dir / "index.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>ftcourse</title></head><body>"
        "<h1>ftcourse: fine-tuning text models</h1>"
        f"<table><tr><th>lesson</th><th>title</th><th>wall time (profile)</th></tr>{rows}</table></body></html>",
        encoding="utf-8",
    )
    return page


def run_course(
    notebooks: list[str | os.PathLike] | None = None,
    profile: str = "fast",
    build_dir: str | os.PathLike = "build",
    seed: int = 42,
) -> list[NotebookRun]:
    """Execute notebooks (default: every lesson) into ``build/executed`` and render ``build/html``.

    Returns:
        One :class:`NotebookRun` per notebook, in order.
    """
    build_dir = Path(build_dir)
    paths = [Path(n) for n in notebooks] if notebooks else list_notebooks()
    for path in paths:
        _check_notebook(path)
    names = [path.name for path in paths]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(
            f"{', '.join(twice)}: two notebooks of that name would write the same build/executed and build/html files. "
            "Fix: rename one of them, or run them one at a time."
        )
    check_output(
        build_dir, overwrite=True, flag="--build-dir", ours_only=False
    )  # re-running into the same build folder is the point
    runs = []
    for path in paths:
        print(f"[ftcourse] running {path.name} ({profile}) ...", flush=True)
        run = _run_one(path, build_dir, profile, seed)
        render_html(run.executed, build_dir / "html")
        print(f"[ftcourse] {path.name}: {run.seconds:.0f} s", flush=True)
        runs.append(run)
    write_index(runs, build_dir / "html", profile)
    return runs


def _run_one(path: Path, build_dir: Path, profile: str, seed: int) -> NotebookRun:
    # A failing cell: the notebook, the cell and its error in one message (the executed copy shows the rest).
    from papermill.exceptions import PapermillExecutionError

    try:
        return run_notebook(path, build_dir / "executed", build_dir / "outputs", profile=profile, seed=seed)
    except PapermillExecutionError as exc:
        source = " | ".join(line for line in str(exc.source).splitlines()[:3] if line.strip())
        raise DataError(
            f"{path.name}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue} (cell: {source[:120]}). "
            f"Fix: correct that cell; the executed copy is {build_dir / 'executed' / path.name}."
        ) from None


def _check_notebook(path: Path) -> None:
    # papermill would fail with a FileNotFoundError or a JSON traceback; say which file and what to do instead.
    import nbformat

    if not path.is_file():
        raise DataError(
            f"{path}: no such notebook. Fix: pass a path to an .ipynb file, or no path to run every lesson in notebooks/."
        )
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds (ValidationError, AttributeError, ...) for a broken file
        raise DataError(f"{path}: not a notebook ({type(exc).__name__}). Fix: pass an .ipynb file saved by Jupyter.") from None
