import json
from types import SimpleNamespace

from ftcourse.training import JsonlLogCallback, read_training_log, write_training_info


def test_log_callback_writes_one_json_line_per_event(tmp_path):
    callback = JsonlLogCallback(tmp_path / "log" / "training_log.jsonl")
    state = SimpleNamespace(is_world_process_zero=True, global_step=0, epoch=0.0)
    callback.on_train_begin(None, state, None)
    state.global_step, state.epoch = 5, 0.5
    callback.on_log(None, state, None, logs={"loss": 0.7, "learning_rate": 1e-5})
    state.global_step, state.epoch = 10, 1.0
    callback.on_log(None, state, None, logs={"eval_loss": float("nan")})
    history = read_training_log(tmp_path / "log" / "training_log.jsonl")
    assert list(history["step"]) == [5, 10]
    assert history.loc[0, "loss"] == 0.7
    assert history["eval_loss"].isna().iloc[1]


def test_only_the_main_process_writes(tmp_path):
    callback = JsonlLogCallback(tmp_path / "log.jsonl")
    state = SimpleNamespace(is_world_process_zero=False, global_step=1, epoch=0.1)
    callback.on_log(None, state, None, logs={"loss": 1.0})
    assert not (tmp_path / "log.jsonl").exists()


def test_training_info_round_trip(tmp_path):
    import numpy as np

    path = write_training_info(
        tmp_path / "training_info.json", base_model="m", train_size=np.int64(10), metrics={"f1": np.float64(0.5)}
    )
    assert json.loads(path.read_text()) == {"base_model": "m", "metrics": {"f1": 0.5}, "train_size": 10}


def test_last_complete_checkpoint_skips_and_removes_half_written(tmp_path):
    from ftcourse.training import last_complete_checkpoint

    assert last_complete_checkpoint(tmp_path / "missing") is None
    for step in (10, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-30").mkdir()  # cut off before trainer_state.json
    assert last_complete_checkpoint(tmp_path, remove_incomplete=False) == tmp_path / "checkpoint-20"
    assert (tmp_path / "checkpoint-30").exists()
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-20"
    assert not (tmp_path / "checkpoint-30").exists()
