"""Every loader on the real files, and on broken copies written to a temp dir."""

import shutil

import pandas as pd
import pytest

from ftcourse import data
from ftcourse.errors import DataError

# Row counts as stated in each folder's SOURCE.md.
EXPECTED_ROWS = {
    ("davidson", "train"): 24783,
    ("jigsaw-sample", "train"): 5000,
    ("jigsaw-sample", "kaggle_test"): 101,
    ("tweeteval-hate", "train"): 9000,
    ("tweeteval-hate", "validation"): 1000,
    ("tweeteval-hate", "test"): 2970,
    ("tweeteval-offensive", "train"): 11916,
    ("tweeteval-offensive", "validation"): 1324,
    ("tweeteval-offensive", "test"): 860,
    ("stsb", "train"): 5749,
    ("stsb", "validation"): 1500,
    ("stsb", "test"): 1379,
    ("mrpc", "train"): 4076,
    ("mrpc", "test"): 1725,
    ("covid-faq", "train"): 213,
    ("covid-question-pairs", "train"): 488,
    ("covid-qa", "train"): 1380,
}


def test_registry_lists_every_course_dataset():
    assert {name for name, _ in EXPECTED_ROWS} == set(data.list_datasets())


@pytest.mark.filterwarnings("ignore:.*dropped.*:UserWarning")
@pytest.mark.parametrize("name,split", sorted(EXPECTED_ROWS))
def test_real_files_load_with_normalised_columns(data_dir, name, split):
    df = data.load_dataset(name, split=split, data_dir=data_dir)
    spec = data.get_spec(name)
    assert set(spec.columns) <= set(df.columns)
    dropped = sum(df.attrs["dropped_rows"].values())
    assert len(df) + dropped == EXPECTED_ROWS[(name, split)]
    for col in spec.columns:
        assert df[col].notna().all()


def test_summary_matches_source_counts(data_dir):
    with pytest.warns(UserWarning, match="dropped 7 row"):
        table = data.summary(data_dir)
    counts = {(r["dataset"], r["split"]): r["rows in file"] for _, r in table.iterrows()}
    assert counts == EXPECTED_ROWS


def test_label_distributions_match_source(data_dir):
    davidson = data.load_dataset("davidson", "train", data_dir=data_dir)
    assert davidson["label"].value_counts().to_dict() == {1: 19190, 2: 4163, 0: 1430}
    jigsaw = data.load_dataset("jigsaw-sample", "train", data_dir=data_dir)
    assert jigsaw["threat"].sum() == 8 and jigsaw["toxic"].sum() == 465
    stsb = data.load_dataset("stsb", "train", data_dir=data_dir)
    assert stsb["score"].between(0, 1).all()
    assert abs(stsb["score"].mean() * 5 - 2.701) < 0.001


def test_empty_text_rows_are_counted_and_reported(data_dir):
    with pytest.warns(UserWarning, match="dropped 7 row"):
        df = data.load_dataset("tweeteval-hate", "train", data_dir=data_dir)
    assert df.attrs["dropped_rows"] == {"empty text": 7}
    assert (df["text"].str.strip() != "").all()


def test_search_order_argument_beats_environment(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("FTCOURSE_DATA_DIR", str(tmp_path / "nowhere"))
    assert data.locate("stsb", data_dir)[0] == "argument"
    monkeypatch.setenv("FTCOURSE_DATA_DIR", str(data_dir))
    assert data.locate("stsb")[0] == "FTCOURSE_DATA_DIR"


def test_cache_dir_is_searched_after_environment(tmp_path, data_dir, monkeypatch):
    monkeypatch.delenv("FTCOURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    shutil.copytree(data_dir / "stsb-en", tmp_path / "ftcourse" / "data" / "stsb-en")
    origin, folder = data.locate("stsb")
    assert origin == "cache" and folder == tmp_path / "ftcourse" / "data" / "stsb-en"


def test_nothing_found_offline_explains_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("FTCOURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="FTCOURSE_DATA_DIR") as info:
        data.load_dataset("covid-faq")
    message = str(info.value)
    assert "github.com/deepset-ai/COVID-QA" in message
    assert ". Or: Download " in message and not message.endswith("..")  # two fixes, each its own sentence


def test_unknown_dataset_and_split():
    with pytest.raises(DataError, match="Known datasets"):
        data.load_dataset("imdb")
    with pytest.raises(DataError, match="splits are"):
        data.load_dataset("mrpc", split="validation")


# ---- broken files: each gets one DataError naming the file and the fix --------------------------


def _copy_folder(data_dir, tmp_path, folder):
    shutil.copytree(data_dir / folder, tmp_path / folder)
    return tmp_path / folder


def test_missing_file(data_dir, tmp_path):
    folder = _copy_folder(data_dir, tmp_path, "tweeteval-hate")
    (folder / "test_labels.txt").unlink()
    with pytest.raises(DataError, match=r"test_labels\.txt: not found.*Fix"):
        data.load_dataset("tweeteval-hate", "test", data_dir=tmp_path)


def test_data_dir_without_the_dataset(tmp_path):
    with pytest.raises(DataError, match=r"labeled_data\.csv: not found.*Fix"):
        data.load_dataset("davidson", data_dir=tmp_path)


def test_missing_column(tmp_path):
    folder = tmp_path / "davidson-hate-offensive"
    folder.mkdir()
    pd.DataFrame({"tweet": ["hi"], "label": [1]}).to_csv(folder / "labeled_data.csv", index=False)
    with pytest.raises(DataError, match=r"labeled_data\.csv: missing column\(s\) \['class'\].*Fix"):
        data.load_dataset("davidson", data_dir=tmp_path)


def test_empty_file(tmp_path):
    folder = tmp_path / "covid-qa"
    folder.mkdir()
    (folder / "faq_covidbert.csv").write_text("")
    with pytest.raises(DataError, match=r"faq_covidbert\.csv: the file is empty.*Fix"):
        data.load_dataset("covid-faq", data_dir=tmp_path)


def test_labels_outside_known_set(tmp_path):
    folder = tmp_path / "davidson-hate-offensive"
    folder.mkdir()
    pd.DataFrame({"tweet": ["hi", "yo"], "class": [1, 7]}).to_csv(folder / "labeled_data.csv", index=False)
    with pytest.raises(DataError, match=r"labeled_data\.csv: column 'class' has 1 value\(s\) outside \[0, 1, 2\], e\.g\. 7.*Fix"):
        data.load_dataset("davidson", data_dir=tmp_path)


def test_unreadable_encoding(tmp_path):
    folder = tmp_path / "covid-qa"
    folder.mkdir()
    (folder / "eval_question_similarity_en.csv").write_bytes(
        "question_1,question_2,similar\ncaf\xe9?,caf\xe9!,1\n".encode("latin-1")
    )
    with pytest.raises(DataError, match=r"eval_question_similarity_en\.csv: cannot be decoded as UTF-8.*Fix"):
        data.load_dataset("covid-question-pairs", data_dir=tmp_path)


def test_bad_scores(tmp_path):
    folder = tmp_path / "stsb-en"
    folder.mkdir()
    (folder / "stsb-en-train.csv").write_text("a,b,3.0\nc,d,seven\n")
    with pytest.raises(DataError, match=r"stsb-en-train\.csv: column 'score'.*Fix"):
        data.load_dataset("stsb", "train", data_dir=tmp_path)


def test_misaligned_tweeteval_files(data_dir, tmp_path):
    folder = _copy_folder(data_dir, tmp_path, "tweeteval-offensive")
    (folder / "test_labels.txt").write_text("0\n1\n")
    with pytest.raises(DataError, match=r"test_text\.txt: has 860 lines but .*test_labels\.txt has 2"):
        data.load_dataset("tweeteval-offensive", "test", data_dir=tmp_path)


def test_malformed_json(tmp_path):
    folder = tmp_path / "covid-qa"
    folder.mkdir()
    (folder / "200423_covidQA.json").write_text('{"data": [')
    with pytest.raises(DataError, match=r"200423_covidQA\.json: is not valid JSON.*Fix"):
        data.load_dataset("covid-qa", data_dir=tmp_path)
