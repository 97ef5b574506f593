"""Every reason a submission cannot be scored gives a precise error, and an invalid report."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from medalist.errors import InvalidSubmissionError
from medalist.grading import check_submission_format, grade_submission, read_csv_file

BINARY_ANSWERS = "id,target\na,1\nb,0\nc,1\nd,0\ne,1\n"
GOOD_BINARY = "id,target\na,0.9\nb,0.2\nc,0.4\nd,0.5\ne,0.8\n"  # one pair misordered: c(0.4) < d(0.5)


@pytest.fixture
def binary(make_task):
    return make_task(task_id="bin", metric="roc_auc", answers=BINARY_ANSWERS, leaderboard=[0.5, 0.7, 0.9, 1.0])


@pytest.fixture
def labels(make_task):
    return make_task(
        task_id="lab",
        metric="accuracy",
        task_type="multiclass-classification",
        answers="id,species\n1,Adelie\n2,Gentoo\n3,Chinstrap\n4,Adelie\n",
        targets=("species",),
    )


def grade(tmp_path: Path, task, text: str | bytes, name: str = "submission.csv"):
    spec, pt = task
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return grade_submission(path, spec, pt)


def invalid(rep, pattern: str) -> str:
    import re

    assert rep.valid_submission is False
    assert rep.score is None
    assert not rep.any_medal and not rep.above_median
    assert rep.error and re.search(pattern, rep.error), rep.error
    assert "\n" not in rep.error
    return rep.error


# --- valid submissions -------------------------------------------------------------------------------


def test_valid_submission_scores_like_sklearn(tmp_path, binary):
    rep = grade(tmp_path, binary, GOOD_BINARY)
    assert rep.valid_submission and rep.submission_exists and rep.error is None
    assert rep.score == pytest.approx(roc_auc_score([1, 0, 1, 0, 1], [0.9, 0.2, 0.4, 0.5, 0.8]))
    assert rep.score == pytest.approx(5 / 6)
    assert rep.competition_id == "bin" and rep.metric == "roc_auc" and rep.is_lower_better is False
    assert rep.leaderboard_size == 4 and rep.gold_threshold == 1.0


def test_row_order_does_not_matter(tmp_path, binary):
    shuffled = "id,target\ne,0.8\nc,0.4\na,0.9\nd,0.5\nb,0.2\n"
    assert grade(tmp_path, binary, shuffled).score == pytest.approx(5 / 6)


def test_column_order_does_not_matter(tmp_path, binary):
    swapped = "target,id\n0.9,a\n0.2,b\n0.4,c\n0.5,d\n0.8,e\n"
    assert grade(tmp_path, binary, swapped).score == pytest.approx(5 / 6)


def test_ids_are_compared_as_text(tmp_path, make_task):
    task = make_task(task_id="zeros", metric="rmse", task_type="regression", answers="id,target\n007,1\n010,2\n")
    assert grade(tmp_path, task, "id,target\n010,2\n007,1\n").score == 0.0
    invalid(
        grade(tmp_path, task, "id,target\n7,1\n10,2\n"),
        r"2 missing id\(s\): '007', '010'; 2 unexpected id\(s\), first at row 1",
    )


def test_text_labels_score(tmp_path, labels):
    rep = grade(tmp_path, labels, "id,species\n4,Adelie\n3,Gentoo\n2,Gentoo\n1,Adelie\n")
    assert rep.score == pytest.approx(3 / 4)


def test_multi_column_targets_are_aligned_by_id(tmp_path, make_task):
    task = make_task(
        task_id="multi",
        metric="mcrmse",
        task_type="regression",
        targets=("y1", "y2"),
        answers="id,y1,y2\n1,1,10\n2,2,20\n",
    )
    # rows swapped, columns swapped: column RMSEs sqrt(1/2) and sqrt(9/2) -> mean sqrt(2)
    rep = grade(tmp_path, task, "id,y2,y1\n2,23,2\n1,10,2\n")
    assert rep.score == pytest.approx(np.sqrt(2))


def test_large_shuffled_submission_aligns_exactly(tmp_path, make_task):
    n = 2000
    rng = np.random.default_rng(1)
    y = rng.normal(size=n)
    answers = "id,target\n" + "".join(f"r{i},{float(v)!r}\n" for i, v in enumerate(y))
    task = make_task(task_id="big", metric="rmse", task_type="regression", answers=answers)
    order = rng.permutation(n)
    sub = "id,target\n" + "".join(f"r{i},{float(y[i]) + (1.0 if i % 2 else 0.0)!r}\n" for i in order)
    # half the rows are off by exactly 1 -> RMSE sqrt(1/2)
    assert grade(tmp_path, task, sub).score == pytest.approx(np.sqrt(0.5))


# --- files ---------------------------------------------------------------------------------------------


def test_missing_file(binary, tmp_path):
    spec, pt = binary
    rep = grade_submission(tmp_path / "nope.csv", spec, pt)
    invalid(rep, r"submission file .*nope\.csv does not exist")
    assert rep.submission_exists is False
    assert rep.submission_path.endswith("nope.csv")


def test_directory_is_not_a_submission(binary, tmp_path):
    spec, pt = binary
    (tmp_path / "sub.csv").mkdir()
    invalid(grade_submission(tmp_path / "sub.csv", spec, pt), r"is not a regular file")


def test_fifo_is_refused_without_hanging(binary, tmp_path):
    spec, pt = binary
    fifo = tmp_path / "sub.csv"
    os.mkfifo(fifo)
    invalid(grade_submission(fifo, spec, pt), r"is not a regular file")


def test_empty_file(tmp_path, binary):
    invalid(grade(tmp_path, binary, ""), r"submission .* is empty")


def test_blank_lines_only(tmp_path, binary):
    invalid(grade(tmp_path, binary, "\n\n"), r"has no header row")


def test_header_only(tmp_path, binary):
    invalid(grade(tmp_path, binary, "id,target\n"), r"has a header but no rows")


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00", b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xa0\xb1"],
    ids=["png", "zip"],
)
def test_binary_file_is_not_a_csv(tmp_path, binary, data):
    invalid(grade(tmp_path, binary, data), r"is not a readable CSV file")


def test_broken_quoting_is_not_a_csv(tmp_path, binary):
    invalid(grade(tmp_path, binary, 'id,target\na,"0.5\n'), r"is not a readable CSV file: .*EOF inside string")


def test_ragged_rows_are_not_a_csv(tmp_path, binary):
    invalid(
        grade(tmp_path, binary, "id,target\na,0.5,1,2\n"),
        r"is not a readable CSV file: some rows have more fields than the header",
    )
    invalid(
        grade(tmp_path, binary, "id,target\na,0.5\nb,0.5,1\n"),
        r"is not a readable CSV file: .*Expected 2 fields in line 3",
    )


def test_trailing_delimiters_do_not_shift_columns(tmp_path, binary):
    rep = grade(tmp_path, binary, GOOD_BINARY.replace("\n", ",\n").replace("id,target,", "id,target"))
    assert rep.score == pytest.approx(5 / 6), rep.error


def test_symlink_to_private_answers_is_refused(tmp_path, binary):
    """The grader runs with privileges; a symlink could point at the private answers."""
    spec, pt = binary
    link = tmp_path / "submission.csv"
    link.symlink_to(pt.answers_path)
    rep = grade_submission(link, spec, pt)
    invalid(rep, r"is a symbolic link; submit a regular file")
    assert rep.submission_exists is False


def test_symlink_to_a_valid_file_is_still_refused(tmp_path, binary):
    spec, pt = binary
    real = tmp_path / "real.csv"
    real.write_text(GOOD_BINARY)
    link = tmp_path / "submission.csv"
    link.symlink_to(real)
    invalid(grade_submission(link, spec, pt), r"symbolic link")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    invalid(grade_submission(dangling, spec, pt), r"symbolic link")


def test_read_csv_file_refuses_symlinks_directly(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("id,x\n1,2\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with pytest.raises(InvalidSubmissionError, match="symbolic link"):
        read_csv_file(link, "id")
    assert read_csv_file(real, "id")["id"].tolist() == ["1"]


# --- columns --------------------------------------------------------------------------------------------


def test_missing_column(tmp_path, binary):
    err = invalid(grade(tmp_path, binary, "id,prob\na,0.9\n"), r"missing column\(s\): target")
    assert "expected exactly: id, target" in err


def test_missing_id_column(tmp_path, binary):
    invalid(grade(tmp_path, binary, "ID,target\na,0.9\n"), r"missing column\(s\): id \(expected exactly: id, target\)")


def test_extra_column(tmp_path, binary):
    sub = "id,target,extra\na,0.9,1\nb,0.2,1\nc,0.4,1\nd,0.5,1\ne,0.8,1\n"
    invalid(grade(tmp_path, binary, sub), r"1 unexpected column\(s\), at position 3 \(expected exactly: id, target\)")


def test_duplicate_column_name(tmp_path, binary):
    invalid(grade(tmp_path, binary, "id,target,target\na,0.9,0.9\n"), r"1 duplicate column name\(s\) in its header")


# --- ids --------------------------------------------------------------------------------------------------


def test_duplicate_ids(tmp_path, binary):
    sub = GOOD_BINARY.replace("e,0.8", "a,0.8")
    invalid(grade(tmp_path, binary, sub), r"1 duplicate id\(s\) in column 'id', first at row 5")


def test_missing_ids(tmp_path, binary):
    sub = "id,target\na,0.9\nb,0.2\nc,0.4\n"
    err = invalid(grade(tmp_path, binary, sub), r"2 missing id\(s\): 'd', 'e' \(expected the 5 ids of the test set\)")
    assert "unexpected" not in err


def test_extra_ids(tmp_path, binary):
    sub = GOOD_BINARY + "zz,0.1\n"
    err = invalid(grade(tmp_path, binary, sub), r"1 unexpected id\(s\), first at row 6")
    assert "missing" not in err


def test_wrong_ids_same_count(tmp_path, binary):
    sub = GOOD_BINARY.replace("e,0.8", "q,0.8")
    invalid(grade(tmp_path, binary, sub), r"1 missing id\(s\): 'e'; 1 unexpected id\(s\), first at row 5")


def test_many_missing_ids_are_previewed(tmp_path, make_task):
    answers = "id,target\n" + "".join(f"{i},{i}\n" for i in range(20))
    task = make_task(task_id="many", metric="rmse", task_type="regression", answers=answers)
    invalid(grade(tmp_path, task, "id,target\n0,0\n"), r"19 missing id\(s\): '1', '2', '3', '4', '5' and 14 more")


def test_empty_id(tmp_path, binary):
    sub = GOOD_BINARY.replace("e,0.8", ",0.8")
    invalid(grade(tmp_path, binary, sub), r"column 'id' has 1 empty id\(s\)")


# --- values --------------------------------------------------------------------------------------------------


def test_nan_prediction(tmp_path, binary):
    invalid(grade(tmp_path, binary, GOOD_BINARY.replace("b,0.2", "b,")), r"column 'target' has 1 missing \(NaN\) value")
    invalid(grade(tmp_path, binary, GOOD_BINARY.replace("b,0.2", "b,NaN")), r"missing \(NaN\)")


@pytest.mark.parametrize("inf", ["inf", "-inf", "Infinity"])
def test_infinite_prediction(tmp_path, make_task, inf):
    task = make_task(task_id="reg", metric="rmse", task_type="regression", answers="id,target\n1,1\n2,2\n")
    invalid(grade(tmp_path, task, f"id,target\n1,1\n2,{inf}\n"), r"column 'target' has 1 infinite value")


def test_text_in_numeric_column(tmp_path, binary):
    err = invalid(
        grade(tmp_path, binary, GOOD_BINARY.replace("b,0.2", "b,high")),
        r"column 'target' must be numeric; 1 non-numeric value\(s\), first at row 2",
    )
    assert "np." not in err


@pytest.mark.parametrize(("value", "shown"), [("1.5", "1.5"), ("-0.1", "-0.1")])
def test_probability_out_of_range(tmp_path, binary, value, shown):
    err = invalid(
        grade(tmp_path, binary, GOOD_BINARY.replace("b,0.2", f"b,{value}")),
        r"column 'target' holds probabilities and must lie in \[0, 1\]; 1 value\(s\) outside",
    )
    assert f"e.g. {shown}" in err


def test_probability_bounds_are_inclusive(tmp_path, binary):
    assert grade(tmp_path, binary, GOOD_BINARY.replace("b,0.2", "b,0").replace("a,0.9", "a,1")).valid_submission


def test_regression_allows_any_finite_number(tmp_path, make_task):
    task = make_task(task_id="reg2", metric="rmse", task_type="regression", answers="id,target\n1,100\n2,-3\n")
    assert grade(tmp_path, task, "id,target\n1,1e3\n2,-7.5\n").valid_submission


def test_numbers_for_text_labels_is_a_type_mismatch(tmp_path, labels):
    invalid(
        grade(tmp_path, labels, "id,species\n1,0\n2,1\n3,2\n4,0\n"),
        r"column 'species' must hold class labels like 'Adelie', 'Gentoo', 'Chinstrap'; got numbers: 0, 1, 2",
    )


def test_text_for_numeric_labels_is_a_type_mismatch(tmp_path, make_task):
    task = make_task(
        task_id="numlab", metric="accuracy", task_type="multiclass-classification", answers="id,target\n1,0\n2,1\n3,2\n"
    )
    invalid(
        grade(tmp_path, task, "id,target\n1,zero\n2,1\n3,2\n"),
        r"column 'target' must hold numeric class labels; 1 non-numeric value\(s\), first at row 1",
    )
    # 1.0 is the same label as 1
    assert grade(tmp_path, task, "id,target\n1,0.0\n2,1.0\n3,1.0\n").score == pytest.approx(2 / 3)


def test_missing_label(tmp_path, labels):
    invalid(
        grade(tmp_path, labels, "id,species\n1,Adelie\n2,\n3,Gentoo\n4,Adelie\n"),
        r"column 'species' has 1 missing value",
    )


def test_fractional_labels_for_kappa(tmp_path, make_task):
    task = make_task(
        task_id="qwk",
        metric="quadratic_weighted_kappa",
        task_type="multiclass-classification",
        answers="id,target\n1,0\n2,1\n3,2\n",
    )
    invalid(
        grade(tmp_path, task, "id,target\n1,0\n2,1.5\n3,2\n"),
        r"column 'target' has 1 value\(s\) that are not labels of this task, first at row 2 \(the answers use 3 label",
    )


def test_unscorable_answers_give_an_error_not_a_crash(tmp_path, make_task):
    task = make_task(task_id="oneclass", metric="roc_auc", answers="id,target\n1,1\n2,1\n")
    invalid(grade(tmp_path, task, "id,target\n1,0.5\n2,0.6\n"), r"cannot score with roc_auc: .*single class")


def test_errors_are_checked_in_a_useful_order(tmp_path, binary):
    # columns before ids before values: a missing column is reported even if ids and values are also bad
    invalid(grade(tmp_path, binary, "id,prob\nzz,7\n"), r"missing column")
    invalid(grade(tmp_path, binary, "id,target\nzz,7\n"), r"missing id")


# --- format check against the public sample submission (what the sandbox's validate_submission uses) --------


def test_check_submission_format(tmp_path, binary):
    spec, pt = binary
    ok = tmp_path / "ok.csv"
    ok.write_text("id,target\ne,0.1\nd,0.1\nc,0.1\nb,0.1\na,0.1\n")
    check_submission_format(ok, pt.sample_submission_path, spec)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,target\na,0.1\n")
    with pytest.raises(InvalidSubmissionError, match="4 missing id"):
        check_submission_format(bad, pt.sample_submission_path, spec)
    bad.write_text("id,target\na,2\nb,0\nc,0\nd,0\ne,0\n")
    with pytest.raises(InvalidSubmissionError, match=r"must lie in \[0, 1\]"):
        check_submission_format(bad, pt.sample_submission_path, spec)


def test_bom_and_crlf_are_fine(tmp_path, binary):
    text = "\ufeff" + GOOD_BINARY.replace("\n", "\r\n")
    rep = grade(tmp_path, binary, text.encode("utf-8"))
    assert rep.score == pytest.approx(5 / 6), rep.error


def test_quoted_fields_are_fine(tmp_path, binary):
    rep = grade(tmp_path, binary, '"id","target"\n"a","0.9"\n"b",0.2\n"c",0.4\n"d",0.5\n"e",0.8\n')
    assert rep.score == pytest.approx(5 / 6), rep.error


def test_ids_that_look_like_missing_values_stay_text(tmp_path, make_task):
    task = make_task(
        task_id="na-ids", metric="rmse", task_type="regression", answers="id,target\nNA,1\nNone,2\nnull,3\nnan,4\n"
    )
    rep = grade(tmp_path, task, "id,target\nnull,3\nNA,1\nnan,4\nNone,2\n")
    assert rep.score == 0.0, rep.error
    # ... while an empty id is still missing, and 'NA' in a numeric column is still a missing value
    invalid(grade(tmp_path, task, "id,target\nnull,3\nNA,1\nnan,4\n,2\n"), r"1 empty id")
    invalid(grade(tmp_path, task, "id,target\nnull,3\nNA,NA\nnan,4\nNone,2\n"), r"missing \(NaN\)")
