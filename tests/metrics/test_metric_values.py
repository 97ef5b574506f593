"""Every named metric against small hand-worked examples (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medalist.metrics import get_metric, list_metrics
from medalist.metrics.ranking import average_precision_at_k


def score(name: str, y_true, y_pred, **kw) -> float:
    return get_metric(name)(np.asarray(y_true), np.asarray(y_pred), **kw)


# --- classification: labels ---------------------------------------------------------------------


def test_accuracy():
    # 2 of 4 rows right
    assert score("accuracy", [1, 0, 1, 1], [1, 1, 1, 0]) == pytest.approx(0.5)
    assert score("accuracy", ["a", "b", "c"], ["a", "b", "c"]) == 1.0


def test_balanced_accuracy():
    # recall(0) = 2/3, recall(1) = 1/1 -> mean 5/6 (plain accuracy would be 3/4)
    assert score("balanced_accuracy", [0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx(5 / 6)


def test_f1_binary():
    # TP=2 (rows 0, 4), FP=1 (row 2), FN=1 (row 1) -> P = R = 2/3 -> F1 = 2/3
    assert score("f1", [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]) == pytest.approx(2 / 3)


def test_f1_binary_text_labels_with_pos_label():
    # positive class "M": TP=1, FP=0, FN=1 -> P=1, R=1/2 -> F1 = 2/3
    assert score("f1", ["M", "M", "B"], ["M", "B", "B"], pos_label="M") == pytest.approx(2 / 3)


def test_f1_macro_and_micro():
    y = [0, 1, 2, 0, 1, 2]
    p = [0, 2, 1, 0, 0, 1]
    # class 0: TP=2, FP=1, FN=0 -> F1 = 0.8; classes 1 and 2 have no true positives -> F1 = 0
    assert score("f1_macro", y, p) == pytest.approx(0.8 / 3)
    # micro F1 over single-label multiclass = accuracy = 2/6
    assert score("f1_micro", y, p) == pytest.approx(1 / 3)


def test_mcc():
    # TP=2, FN=1, TN=2, FP=1: (2*2 - 1*1) / sqrt(3*3*3*3) = 3/9
    assert score("mcc", [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 1]) == pytest.approx(1 / 3)
    assert score("mcc", [1, 0, 1, 0], [0, 1, 0, 1]) == pytest.approx(-1.0)


def test_quadratic_weighted_kappa_worked_example():
    # classes 0..2, weights (i-j)^2/4. Observed (true,pred): (0,0) (1,2) (2,2) (2,1)
    # weighted observed = 1/4 + 1/4 = 0.5; histograms true = pred = [1,1,2], E = outer/4,
    # weighted expected = 2*(1/4*1/4) + 2*(1/2*1) + 2*(1/2*1/4) = 1.375 -> kappa = 1 - 0.5/1.375 = 7/11
    assert score("quadratic_weighted_kappa", [0, 1, 2, 2], [0, 2, 2, 1]) == pytest.approx(7 / 11)
    assert score("quadratic_weighted_kappa", [0, 1, 2, 3], [0, 1, 2, 3]) == pytest.approx(1.0)
    # integral floats (as read from a CSV) are the same labels
    assert score("quadratic_weighted_kappa", [0, 1, 2, 2], [0.0, 2.0, 2.0, 1.0]) == pytest.approx(7 / 11)


def test_quadratic_weighted_kappa_refuses_fractional_labels():
    with pytest.raises(ValueError, match="integer"):
        score("quadratic_weighted_kappa", [0, 1, 2], [0.0, 1.7, 2.0])


# --- classification: probabilities -----------------------------------------------------------------


def test_roc_auc_textbook():
    # positives score 0.35 and 0.8, negatives 0.1 and 0.4: 3 of 4 (pos, neg) pairs ordered right
    assert score("roc_auc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # a tie counts one half
    assert score("roc_auc", [0, 1], [0.5, 0.5]) == pytest.approx(0.5)


def test_gini_is_two_auc_minus_one():
    assert score("gini", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.5)
    assert score("gini", [0, 1], [0.9, 0.1]) == pytest.approx(-1.0)


def test_mean_column_roc_auc():
    y = np.array([[0, 1], [0, 0], [1, 1], [1, 0]])
    p = np.array([[0.1, 0.9], [0.4, 0.1], [0.35, 0.8], [0.8, 0.2]])
    # column 0: 0.75 (textbook example above); column 1: perfectly ranked, 1.0
    assert score("mean_column_roc_auc", y, p) == pytest.approx(0.875)


def test_roc_auc_single_class_truth_cannot_be_scored():
    with pytest.raises(ValueError, match="single class"):
        score("roc_auc", [1, 1, 1], [0.2, 0.5, 0.9])


def test_binary_log_loss():
    # -(ln 0.8 + ln 0.7) / 2
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert score("log_loss", [1, 0], [0.8, 0.3]) == pytest.approx(expected)
    assert expected == pytest.approx(0.289909, abs=1e-6)


def test_binary_log_loss_clips_certain_mistakes():
    # a confident wrong answer costs -ln(1e-15) ~ 34.54 instead of infinity
    assert score("log_loss", [0, 1], [1.0, 0.0]) == pytest.approx(-math.log(1e-15), rel=1e-4)


def test_binary_log_loss_single_class_truth():
    # labels=[0, 1] is passed, so a one-class answer key still scores: -ln(0.9)
    assert score("log_loss", [1, 1], [0.9, 0.9]) == pytest.approx(-math.log(0.9))


def test_multiclass_log_loss_one_hot():
    y = [[1, 0, 0], [0, 1, 0]]
    p = [[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]]
    # -(ln 0.7 + ln 0.3) / 2 = 0.780322
    assert score("multiclass_log_loss", y, p) == pytest.approx(-(math.log(0.7) + math.log(0.3)) / 2)


def test_multiclass_log_loss_rescales_rows():
    # row sums 0.8 -> rescaled to [0.5, 0.25, 0.25]: true class 0 costs -ln 0.5
    assert score("multiclass_log_loss", [[1, 0, 0]], [[0.4, 0.2, 0.2]]) == pytest.approx(math.log(2))
    # a class never present in the answers still needs its column (3 columns, only class 2 appears)
    assert score("multiclass_log_loss", [[0, 0, 1], [0, 0, 1]], [[0.25, 0.25, 0.5]] * 2) == pytest.approx(math.log(2))


# --- regression -------------------------------------------------------------------------------------


def test_rmse_mse_mae():
    y, p = [1, 2, 3], [2, 2, 5]  # errors 1, 0, 2
    assert score("mse", y, p) == pytest.approx(5 / 3)
    assert score("rmse", y, p) == pytest.approx(math.sqrt(5 / 3))
    assert score("mae", y, p) == pytest.approx(1.0)


def test_rmsle():
    e1 = math.e - 1  # log1p(e - 1) = 1
    # log1p(y) = [0, 1], log1p(p) = [1, 1] -> sqrt((1 + 0) / 2)
    assert score("rmsle", [0, e1], [e1, e1]) == pytest.approx(math.sqrt(0.5))


def test_rmsle_clips_negative_predictions_to_zero():
    # -5 is treated as 0: log1p(0) - log1p(e-1) = -1 -> sqrt(1/1)
    assert score("rmsle", [math.e - 1], [-5.0]) == pytest.approx(1.0)


def test_r2():
    # SS_res = 1, SS_tot = 2 -> 1 - 1/2
    assert score("r2", [1, 2, 3], [1, 2, 4]) == pytest.approx(0.5)
    assert score("r2", [1, 2, 3], [2, 2, 2]) == pytest.approx(0.0)


def test_smape():
    # |110-100| / 105 = 0.095238; 0/0 row counts 0; |0-50| / 25 = 2 -> mean * 100
    expected = 100 * (10 / 105 + 0 + 2) / 3
    assert score("smape", [100, 0, 50], [110, 0, 0]) == pytest.approx(expected)
    assert expected == pytest.approx(69.8413, abs=1e-4)
    assert score("smape", [1, 2], [1, 2]) == 0.0
    assert score("smape", [1], [-1]) == pytest.approx(200.0)  # the upper bound


def test_mcrmse():
    y = [[1, 10], [2, 20]]
    p = [[2, 10], [2, 23]]
    # column RMSEs sqrt(1/2) and sqrt(9/2); mean = (0.7071 + 2.1213) / 2 = sqrt(2)
    assert score("mcrmse", y, p) == pytest.approx(math.sqrt(2))


def test_spearman_with_ties():
    # ranks of p = [1, 2, 3.5, 5, 3.5]; Pearson of ranks = 8 / sqrt(10 * 9.5)
    assert score("spearman", [1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert score("spearman", [1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)


def test_pearson():
    # dy = [-1, 0, 1], dp = [-7/3, -1/3, 8/3]: cov 5, var 2 and 114/9 -> 5 / sqrt(2 * 114 / 9)
    assert score("pearson", [1, 2, 3], [2, 4, 7]) == pytest.approx(5 / math.sqrt(2 * 114 / 9))


@pytest.mark.parametrize("name", ["spearman", "pearson"])
def test_correlation_of_constant_prediction_is_zero(name):
    assert score(name, [1, 2, 3], [4, 4, 4]) == 0.0


# --- ranking ----------------------------------------------------------------------------------------


def test_average_precision_at_k_by_hand():
    # hits at places 1 and 3: (1/1 + 2/3) / min(2, 3)
    assert average_precision_at_k(["a", "b"], ["a", "c", "b"], 3) == pytest.approx((1 + 2 / 3) / 2)
    # a repeated prediction earns nothing the second time: 1/1 / min(2, 5)
    assert average_precision_at_k(["x", "y"], ["x", "x"], 5) == pytest.approx(0.5)
    # the hit at place 6 lies beyond K = 5
    assert average_precision_at_k(["a"], ["b", "c", "d", "e", "f", "a"], 5) == 0.0
    # more true items than K: divide by K
    assert average_precision_at_k(list("abcdef"), ["a", "b"], 2) == pytest.approx(1.0)
    assert average_precision_at_k([], ["a"], 5) == 0.0


def test_map_at_k_over_rows():
    y = ["a b", "x", "q"]
    p = ["a c b", "y x x", "r s"]
    # rows: 5/6, 1/2 (hit at place 2), 0
    assert score("map_at_k", y, p, k=3) == pytest.approx((5 / 6 + 0.5 + 0) / 3)
    # with K = 1 only first places count: 1, 0, 0
    assert score("map_at_k", y, p, k=1) == pytest.approx(1 / 3)


# --- registry and directions ------------------------------------------------------------------------

HIGHER = {
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "mean_column_roc_auc",
    "f1",
    "f1_macro",
    "f1_micro",
    "mcc",
    "quadratic_weighted_kappa",
    "r2",
    "map_at_k",
    "spearman",
    "pearson",
    "gini",
}
LOWER = {"log_loss", "multiclass_log_loss", "rmse", "rmsle", "mae", "smape", "mcrmse", "mse"}


@pytest.mark.parametrize("name", sorted(HIGHER | LOWER))
def test_direction_flags(name):
    m = get_metric(name)
    assert m.higher_is_better == (name in HIGHER)
    assert m.is_lower_better == (name in LOWER)
    assert m.description, f"{name} has no description"


def test_better_follows_direction():
    assert get_metric("accuracy").better(0.9, 0.8)
    assert not get_metric("accuracy").better(0.8, 0.9)
    assert get_metric("rmse").better(0.8, 0.9)
    assert get_metric("rmse").better(0.8, 0.8)


def test_registry_lists_every_metric_sorted():
    names = [m.name for m in list_metrics()]
    assert names == sorted(names)
    assert HIGHER | LOWER <= set(names)


def test_unknown_metric_lists_known_names():
    with pytest.raises(KeyError, match="unknown metric 'nope'.*accuracy"):
        get_metric("nope")


def test_prediction_kinds():
    assert get_metric("roc_auc").prediction == "probability"
    assert get_metric("accuracy").prediction == "label"
    assert get_metric("rmse").prediction == "numeric"
    assert get_metric("map_at_k").prediction == "ranked"
    assert get_metric("mcrmse").multi_column and get_metric("multiclass_log_loss").multi_column


def test_mean_column_roc_auc_single_class_column_is_an_error():
    with pytest.raises(ValueError, match="single class"):
        score("mean_column_roc_auc", [[0, 1], [1, 1]], [[0.2, 0.3], [0.8, 0.4]])
