"""Every lesson and solution notebook has a test module that runs it."""

from tests.conftest import REPO_ROOT


def test_each_notebook_has_a_test():
    tested = "\n".join(p.read_text() for p in (REPO_ROOT / "tests" / "notebooks").glob("test_*.py"))
    for folder in ("notebooks", "solutions"):
        for nb in sorted((REPO_ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            assert f"{folder}/{nb.name}" in tested, f"{folder}/{nb.name} is not run by any test in tests/notebooks/"
