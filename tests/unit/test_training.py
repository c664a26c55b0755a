import json
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from ftcourse.training import JsonlLogCallback, dropout_for_training, read_training_log, write_training_info


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


@pytest.fixture
def asked_to_train_without_dropout():
    from ftcourse.runtime import use_cpu_training_without_dropout

    use_cpu_training_without_dropout(True)
    yield
    use_cpu_training_without_dropout(False)


def _tiny_classifier(tiny_bert_dir, lora: bool = False):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_bert_dir), num_labels=2)
    if lora:
        from ftcourse.lora import add_lora

        model = add_lora(model, r=2, dropout=0.2)
    return model


def _dropout_rates(model) -> dict[str, float]:
    return {name: m.p for name, m in model.named_modules() if isinstance(m, torch.nn.Dropout)}


def test_dropout_for_training_changes_nothing_unless_asked_or_off_the_cpu(tiny_bert_dir):
    from ftcourse.runtime import use_cpu_training_without_dropout

    model = _tiny_classifier(tiny_bert_dir)
    before = _dropout_rates(model)
    with dropout_for_training(model, "cpu") as switched:
        assert switched is False and _dropout_rates(model) == before
    use_cpu_training_without_dropout(True)
    try:
        with dropout_for_training(model, "cuda") as switched:
            assert switched is False and model.config._attn_implementation == "sdpa"
    finally:
        use_cpu_training_without_dropout(False)


def test_dropout_for_training_switches_the_encoders_dropout_off_and_restores_it(tiny_bert_dir, asked_to_train_without_dropout):
    model = _tiny_classifier(tiny_bert_dir, lora=True)
    before = _dropout_rates(model)
    assert {p for name, p in before.items() if "lora_dropout" not in name} == {0.1}
    with pytest.raises(RuntimeError), dropout_for_training(model, "cpu") as switched:
        assert switched is True
        inside = _dropout_rates(model)
        assert all(p == (0.2 if "lora_dropout" in name else 0.0) for name, p in inside.items())  # the adapter's is kept
        assert {m.config._attn_implementation for m in model.modules() if hasattr(m, "config")} == {"eager"}
        raise RuntimeError("a run that fails half-way")
    assert _dropout_rates(model) == before  # restored even so
    assert model.get_base_model().config._attn_implementation == "sdpa"
    assert json.loads(model.get_base_model().config.to_json_string())["hidden_dropout_prob"] == 0.1


def _train(kind: str, tiny_bert_dir, tmp_path) -> dict:
    """Train one epoch of the named trainer on toy data; its training_info.json."""
    from tests.unit.conftest import toy_frame

    if kind == "classifier":
        from ftcourse.train import train_classifier

        frame = toy_frame(24)
        common = {"epochs": 1, "batch_size": 8, "max_length": 16, "progress": False}
        train_classifier(frame.iloc[:16], frame.iloc[16:], base_model=str(tiny_bert_dir), output_dir=tmp_path, **common)
        return json.loads((tmp_path / "training_info.json").read_text())["hyperparameters"]
    pairs = pd.DataFrame({"query": ["the cat", "a dog", "good film", "bad movie"] * 4})
    pairs["document"], pairs["label"] = pairs["query"] + " sat", [1, 0] * 8
    if kind == "embedder":
        from ftcourse.train import train_embedder

        scored = pairs.rename(columns={"query": "sentence1", "document": "sentence2", "label": "score"}).astype({"score": float})
        train_embedder(str(tiny_bert_dir), scored, "cosent", output_dir=tmp_path, epochs=1, batch_size=8, save=False)
    else:
        from ftcourse.cross_encoder.trainer import train_cross_encoder

        train_cross_encoder(str(tiny_bert_dir), pairs, "bce", output_dir=tmp_path, epochs=1, batch_size=8, save=False)
    return json.loads((tmp_path / "training_info.json").read_text())["hyperparameters"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="the switch is for CPU runs; a GPU trains with dropout")
@pytest.mark.parametrize("kind", ["classifier", "embedder", "cross-encoder"])
def test_each_trainer_trains_without_dropout_on_a_cpu_when_asked(kind, tiny_bert_dir, tmp_path, monkeypatch):
    from transformers.models.bert import modeling_bert

    from ftcourse.runtime import use_cpu_training_without_dropout

    seen = {"rates": set(), "eager_calls": 0}
    dropout_forward, eager = torch.nn.Dropout.forward, modeling_bert.eager_attention_forward

    def recording_dropout(module, x):
        if module.training:
            seen["rates"].add(module.p)
        return dropout_forward(module, x)

    def recording_eager(*args, **kwargs):
        seen["eager_calls"] += 1
        return eager(*args, **kwargs)

    monkeypatch.setattr(torch.nn.Dropout, "forward", recording_dropout)
    monkeypatch.setattr(modeling_bert, "eager_attention_forward", recording_eager)
    assert _train(kind, tiny_bert_dir, tmp_path / "with")["dropout_off"] is False
    assert seen == {"rates": {0.1}, "eager_calls": 0}  # the model as configured: dropout 0.1, SDPA attention
    seen.update(rates=set(), eager_calls=0)
    use_cpu_training_without_dropout(True)
    try:
        assert _train(kind, tiny_bert_dir, tmp_path / "without")["dropout_off"] is True
    finally:
        use_cpu_training_without_dropout(False)
    assert seen["rates"] == {0.0} and seen["eager_calls"] > 0


def test_the_callback_switches_dropout_off_for_each_trial_of_a_search(tiny_bert_dir, asked_to_train_without_dropout, tmp_path):
    from datasets import Dataset
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from ftcourse.training import DropoutForTrainingCallback

    seen, models = [], []

    class Watch(TrainerCallback):
        def on_step_begin(self, args, state, control, model=None, **kwargs):
            seen.append((id(model), {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)}))

    def model_init(trial=None):
        models.append(_tiny_classifier(tiny_bert_dir))
        return models[-1]

    data = Dataset.from_dict({"input_ids": [[1, 5, 6, 2]] * 8, "attention_mask": [[1] * 4] * 8, "labels": [0, 1] * 4})
    args = TrainingArguments(str(tmp_path), per_device_train_batch_size=4, num_train_epochs=1, report_to="none", use_cpu=True)
    trainer = Trainer(model_init=model_init, args=args, train_dataset=data, callbacks=[DropoutForTrainingCallback(), Watch()])
    trainer.train()
    trainer.train()  # a second run (a second trial) gets a new model from model_init
    assert len({model_id for model_id, _ in seen}) == 2 and all(rates == {0.0} for _, rates in seen)
    assert all({m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.1} for model in models)
