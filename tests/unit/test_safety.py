"""The package never enables remote code, saves only safetensors, and takes tokens only from the environment."""

import re

from tests.conftest import REPO_ROOT

SOURCES = sorted((REPO_ROOT / "ftcourse").rglob("*.py")) + sorted((REPO_ROOT / "bench").rglob("*.py"))


def _code_lines():
    for path in SOURCES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if code.strip():
                yield path.relative_to(REPO_ROOT), number, code


def test_trust_remote_code_is_never_enabled():
    hits = [f"{p}:{n}" for p, n, code in _code_lines() if re.search(r"trust_remote_code\s*=\s*True", code)]
    assert not hits, f"trust_remote_code=True in {hits}"


def test_models_are_never_saved_as_pickles():
    pattern = re.compile(r"safe_serialization\s*=\s*False|save_safetensors\s*=\s*False|torch\.save\(|pickle\.dump")
    hits = [f"{p}:{n}" for p, n, code in _code_lines() if pattern.search(code)]
    assert not hits, f"non-safetensors saving in {hits}"


def test_tokens_never_come_from_arguments_or_literals():
    # A token flag on a command line ends up in shell history and process lists.
    flag = re.compile(r"add_argument\([^)]*['\"]--(hf-)?token['\"]")
    literal = re.compile(r"(hf_[A-Za-z0-9]{20,})|token\s*=\s*['\"][^'\"]+['\"]")
    hits = [f"{p}:{n}" for p, n, code in _code_lines() if flag.search(code) or literal.search(code)]
    assert not hits, f"token taken from a flag or written in code: {hits}"


def test_notebooks_hold_no_tokens():
    for folder in ("notebooks", "solutions", "exercises"):
        for path in (REPO_ROOT / folder).glob("*.ipynb"):
            text = path.read_text()
            assert not re.search(r"hf_[A-Za-z0-9]{20,}", text), (
                f"{path.name} contains something that looks like a Hugging Face token"
            )
            assert "login(" not in text, f"{path.name} logs in: read tokens from the environment (HF_TOKEN) instead"
