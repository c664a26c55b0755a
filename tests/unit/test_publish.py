"""Publishing: the dry-run folder holds what a user needs and nothing else; pushing needs the Hub and HF_TOKEN."""

from __future__ import annotations

import json

import huggingface_hub
import pytest

from ftcourse import models, publish
from ftcourse.cli import main
from ftcourse.errors import UsageError


def test_the_folder_holds_what_a_user_needs_and_leaves_out_logs(trained_toy, tmp_path):
    _, model_dir, _ = trained_toy
    (model_dir / "training_log.jsonl").write_text('{"step": 1}\n')  # a per-step log with this machine's details
    listing = publish.publish_folder(
        model_dir,
        tmp_path / "pub",
        card_sections={"Calibration": "T = 0.9"},
        extra_files={"calibration.json": {"temperature": 0.9}},
    )
    names = set(listing["file"])
    assert {"README.md", "model.safetensors", "config.json", "labels.json", "thresholds.json", "calibration.json"} <= names
    assert not any(n.endswith(".jsonl") or n.startswith(".") for n in names)
    assert (tmp_path / "pub" / "README.md").read_text().endswith("## Calibration\n\nT = 0.9\n")
    assert json.loads((tmp_path / "pub" / "calibration.json").read_text()) == {"temperature": 0.9}
    assert (listing["KiB"] >= 0).all()
    with pytest.raises(UsageError, match="already holds files"):  # never merged into an earlier folder
        publish.publish_folder(model_dir, tmp_path / "pub")


def test_pushing_offline_or_without_a_token_says_what_to_do(tmp_path, monkeypatch):
    (tmp_path / "README.md").write_text("# card")
    monkeypatch.setattr(models, "hub_available", lambda: False)
    with pytest.raises(UsageError, match="cannot be reached.*Fix"):
        publish.push_folder(tmp_path, "me/model")
    monkeypatch.setattr(models, "hub_available", lambda: True)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(UsageError, match="no token.*export HF_TOKEN"):
        publish.push_folder(tmp_path, "me/model")


def test_pushing_online_uploads_the_folder_with_the_token_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "README.md").write_text("# card")
    calls = {}

    class FakeApi:
        def __init__(self, token=None):
            calls["token"] = token

        def create_repo(self, repo_id, repo_type, exist_ok):
            calls["created"] = (repo_id, repo_type, exist_ok)

        def upload_folder(self, folder_path, repo_id, repo_type):
            calls["uploaded"] = (folder_path, repo_id, repo_type)

    monkeypatch.setattr(models, "hub_available", lambda: True)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_from_env")
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert publish.push_folder(tmp_path, "me/model") == "https://huggingface.co/me/model"
    assert calls == {
        "token": "hf_secret_from_env",
        "created": ("me/model", "model", True),
        "uploaded": (str(tmp_path), "me/model", "model"),
    }


def test_the_command_writes_a_dry_run_and_refuses_a_push_offline_before_any_work(trained_toy, tmp_path, capsys, monkeypatch):
    _, model_dir, _ = trained_toy
    assert main(["publish", str(model_dir), "--output", str(tmp_path / "dry")]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing pushed" in out and "model.safetensors" in out
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["publish", str(model_dir), "--output", str(tmp_path / "push"), "--push-to-hub", "me/model"]) == 2
    assert "cannot be reached" in capsys.readouterr().err
    assert not (tmp_path / "push").exists()  # the token and the Hub are checked before a file is written
