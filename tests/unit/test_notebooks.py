import os

import nbformat
import pytest

from ftcourse import notebooks


def _write_notebook(path, code_cells, parameters="PROFILE = 'fast'\nSEED = 0\nOUTPUT_DIR = 'out'"):
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    cells = [nbformat.v4.new_markdown_cell("# A tiny lesson"), params] + [nbformat.v4.new_code_cell(c) for c in code_cells]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.mark.notebook
def test_run_notebook_injects_parameters_and_reads_metrics(tmp_path, monkeypatch):
    # the kernel runs in lessons/, not here: a relative FTCOURSE_DATA_DIR must reach it already made absolute
    (tmp_path / "lessons").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FTCOURSE_DATA_DIR", "data")
    nb = _write_notebook(
        tmp_path / "lessons" / "01_tiny.ipynb",
        [
            "from ftcourse.course import lesson_setup, write_metrics\nprofile, out = lesson_setup(PROFILE, SEED, OUTPUT_DIR)\n"
            "import os\nimport numpy as np\nwrite_metrics(out, {'profile': profile.name, 'seed': SEED, 'x': np.float32(0.5), "
            "'data_dir': os.environ['FTCOURSE_DATA_DIR']})"
        ],
    )
    run = notebooks.run_notebook(nb, tmp_path / "executed", tmp_path / "outputs", profile="full", seed=5)
    assert run.metrics == {"profile": "full", "seed": 5, "x": 0.5, "data_dir": str(tmp_path.resolve() / "data")}
    assert os.environ["FTCOURSE_DATA_DIR"] == "data"
    assert run.output_dir == (tmp_path / "outputs" / "01_tiny").resolve()
    page = notebooks.render_html(run.executed, tmp_path / "html")
    assert "A tiny lesson" in page.read_text() and 'href="notebook.css"' in page.read_text()
    assert (tmp_path / "html" / "notebook.css").stat().st_size > 10_000  # nbconvert's theme, once per folder
    index = notebooks.write_index([run], tmp_path / "html", "full")
    assert 'href="01_tiny.html"' in index.read_text()


def test_lessons_are_listed_in_order_and_carry_parameters():
    lessons = notebooks.list_notebooks()
    assert lessons and lessons[0].name == "00_setup.ipynb"
    assert [p.name for p in lessons] == sorted(p.name for p in lessons)
    for path in lessons:
        nb = nbformat.read(str(path), as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert "parameters" in first_code.metadata.get("tags", []), f"{path.name}: first code cell must be tagged 'parameters'"
        for name in ("PROFILE", "SEED", "MODEL", "OUTPUT_DIR"):
            assert f"{name} =" in first_code.source, f"{path.name}: parameters cell lacks {name}"
        assert not any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code"), (
            f"{path.name} is committed with outputs"
        )


def test_share_stylesheet_moves_head_styles_to_one_file(tmp_path):
    page = (
        "<html><head><title>t</title><style type='text/css'>a {color: red}</style><script>x</script>"
        "<style>b {color: blue}</style></head><body><style>.table {}</style><p>text</p></body></html>"
    )
    shared = notebooks.share_stylesheet(page, tmp_path)
    assert (tmp_path / notebooks.STYLESHEET).read_text() == "a {color: red}\nb {color: blue}"
    head, body = shared.split("</head>")
    assert "<style" not in head and head.count('<link rel="stylesheet" href="notebook.css"/>') == 1
    assert head.index("<link") < head.index("<script>x</script>")  # where the first style was
    assert body == "<body><style>.table {}</style><p>text</p></body></html>"  # a table's own styles stay
    assert (
        notebooks.share_stylesheet("<html><head></head><body></body></html>", tmp_path / "none")
        == "<html><head></head><body></body></html>"
    )


def test_a_relative_data_dir_reaches_the_kernel_as_an_absolute_path(tmp_path, monkeypatch):
    # a kernel runs in its notebook's folder: "../shared/data" given at the repository root must not be read from there
    from ftcourse.notebooks import absolute_data_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FTCOURSE_DATA_DIR", "shared/data")
    with absolute_data_dir():
        assert os.environ["FTCOURSE_DATA_DIR"] == str(tmp_path.resolve() / "shared" / "data")
    assert os.environ["FTCOURSE_DATA_DIR"] == "shared/data"
    monkeypatch.setenv("FTCOURSE_DATA_DIR", str(tmp_path))
    with absolute_data_dir():
        assert os.environ["FTCOURSE_DATA_DIR"] == str(tmp_path)


def test_no_test_module_changes_the_settings_that_notebook_kernels_inherit():
    # collection has imported every test module by now; tests/robustness once set OMP_NUM_THREADS=1 at import, and every
    # lesson test then ran its kernel on one of the machine's threads (and TOKENIZERS_PARALLELISM=false, HF_HUB_OFFLINE=1)
    from tests.conftest import KERNEL_SETTINGS_AT_START

    assert {name: os.environ.get(name) for name in KERNEL_SETTINGS_AT_START} == KERNEL_SETTINGS_AT_START
