"""What the LLM agents tell their model about the data: types, missing values, ranges, class balance."""

from __future__ import annotations

from pathlib import Path

from medalist.inside.facts import data_preview, status_line


def test_preview_shows_types_missing_values_ranges_and_the_label_balance(tmp_path: Path) -> None:
    rows = [
        f"{i},{'' if i % 10 == 0 else i * 1.5},{'red' if i % 4 else 'blue'},{'a' if i % 3 else 'b'}" for i in range(100)
    ]
    (tmp_path / "train.csv").write_text("id,x,colour,label\n" + "\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text("id,x,colour\n1,2.0,red\n")
    (tmp_path / "sample_submission.csv").write_text("id,prob_a,prob_b\n1,0.5,0.5\n")
    text = data_preview(tmp_path, targets=["prob_a", "prob_b"])
    assert "train.csv: 100 rows x 4 columns" in text
    assert "x (float64), 10 missing (10.0%); range 1.5 .. 148.5" in text
    assert "colour (str); 2 values: blue, red" in text or "colour (object); 2 values: blue, red" in text
    # the label is the train column the test file lacks, even when the submission's columns differ
    assert "label (" in text and "TARGET); 2 classes: a: 66.0%, b: 34.0%" in text
    compact = data_preview(tmp_path, targets=["prob_a"], max_chars=400)
    assert len(compact) <= 400 + 20


def test_status_line_is_one_marked_line() -> None:
    line = status_line(600.0, 3600.0, 3, 20, 300.0)
    assert (
        line
        == "[status] 10.0 of 60 minutes left; step 3 of 20 (17 more after this one); the next script may run at most 300 s"
    )
