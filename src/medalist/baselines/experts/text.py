"""Expert hooks for tasks with free text: stacked TF-IDF models, text statistics, word + char n-grams."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medalist.baselines.experts.encoding import frequency, stacked_text_models, target_mean
from medalist.baselines.experts.registry import Expert, numbered, register_expert
from medalist.baselines.recipes.base import Recipe
from medalist.baselines.recipes.task import TaskData

Frames = tuple[pd.DataFrame, pd.DataFrame]


def _text_stats(s: pd.Series) -> pd.DataFrame:
    s = s.fillna("").astype(str)
    letters = s.str.count(r"[A-Za-z]").clip(lower=1)
    return pd.DataFrame(
        {
            "n_chars": s.str.len().astype(float),
            "n_words": s.str.split().str.len().astype(float),
            "caps_share": s.str.count(r"[A-Z]") / letters,
            "n_exclaim": s.str.count("!").astype(float),
            "n_hashtags": s.str.count("#").astype(float),
            "n_mentions": s.str.count("@").astype(float),
            "has_link": s.str.contains("http").astype(float),
            "starts_quote": s.str.match(r'^\s*["\u201c]').astype(float),
            "n_digits": s.str.count(r"\d").astype(float),
        }
    )


# ---------------------------------------------------------------- seattle pets: names as text


def _name_shape(names: pd.Series) -> pd.DataFrame:
    """What a name looks like: length, words, its last letter, a vowel ending, digits, a title (Mr, Lady)."""
    s = names.fillna("").astype(str).str.strip()
    low = s.str.lower()
    return pd.DataFrame(
        {
            "name_len": s.str.len().astype(float),
            "name_words": s.str.split().str.len().fillna(0).astype(float),
            "name_last": low.str[-1:].map(lambda c: ord(c) if c else 0).astype(float),
            "name_vowel_end": low.str.contains(r"[aeiouy]$").astype(float),
            "name_has_digit": s.str.contains(r"\d").astype(float),
            "name_has_title": low.str.contains(r"\b(?:mr|mrs|miss|ms|dr|sir|lady|lord|captain|princess|king)\b").astype(
                float
            ),
        }
    )


def pets_features(train: pd.DataFrame, test: pd.DataFrame, task: TaskData) -> Frames:
    """Stacked word and char TF-IDF models of the name, how common the name is, its shape, the
    out-of-fold cat share of the name and of the zip code, and the licence date's parts."""
    tr, te = train.copy(), test.copy()
    stacked_text_models(tr, te, task, "animal_name")
    for frame, src in ((tr, train), (te, test)):
        shape = _name_shape(src["animal_name"])
        for col in shape.columns:
            frame[col] = shape[col].to_numpy()
        date = pd.to_datetime(src["license_issue_date"], errors="coerce")
        frame["licence_day"] = (date - pd.Timestamp("2003-01-01")).dt.days.astype(float).to_numpy()
        frame["licence_month"] = date.dt.month.astype(float).to_numpy()
        frame["licence_weekday"] = date.dt.day_of_week.astype(float).to_numpy()
    names_tr = train["animal_name"].fillna("").astype(str).str.strip().str.lower()
    names_te = test["animal_name"].fillna("").astype(str).str.strip().str.lower()
    tr["te_name"], te["te_name"] = target_mean(names_tr, names_te, task, smoothing=5.0)
    tr["n_name"], te["n_name"] = frequency(names_tr, names_te)
    zip_tr, zip_te = train["zip_code"].astype(str), test["zip_code"].astype(str)
    tr["te_zip"], te["te_zip"] = target_mean(zip_tr, zip_te, task, smoothing=50.0)
    tr["n_zip"], te["n_zip"] = frequency(zip_tr, zip_te)
    return tr.drop(columns=["license_issue_date"]), te.drop(columns=["license_issue_date"])


register_expert(
    Expert(
        "seattle-pets",
        "the name as text: word and char n-gram models stacked under boosting, how common the name is, its "
        "shape and endings, out-of-fold cat shares of the name and zip code, licence date parts; char n-gram "
        "linear models and NB-SVMs of the name",
        features=pets_features,
        text=("animal_name",),
        recipes=numbered(
            21,
            "expert",
            ("logreg", {"C": 1.0, "text": "char", "char_ngram": (1, 5), "text_only": True}),
            ("logreg", {"C": 0.5, "text": "both", "char_ngram": (2, 5)}),
            ("nbsvm", {"C": 1.0, "text": "char", "char_ngram": (1, 5), "text_only": True}),
            ("lgbm", {"lr": 0.02, "leaves": 15, "min_child": 50, "colsample": 0.7, "subsample": 0.8}),
            ("lgbm", {"lr": 0.02, "leaves": 63, "min_child": 100, "colsample": 0.5, "l2": 10.0}),
        ),
    )
)


# ---------------------------------------------------------------- newsgroups: word and char n-grams

register_expert(
    Expert(
        "newsgroups-autos-electronics",
        "word + char n-gram TF-IDF linear models (SVM, NB-SVM, logistic) and their blends",
        recipes=(
            Recipe("logreg", {"C": 20.0, "text": "both"}, view="base", seed=21),
            Recipe("linsvm", {"C": 1.0, "text": "both", "word_ngram": (1, 3)}, view="base", seed=22),
            Recipe("nbsvm", {"C": 4.0, "text": "word", "word_ngram": (1, 3), "text_only": True}, view="base", seed=23),
        ),
    )
)


# ---------------------------------------------------------------- movies: titles as text


def movies_features(train: pd.DataFrame, test: pd.DataFrame, task: TaskData) -> Frames:
    tr, te = train.copy(), test.copy()
    stacked_text_models(tr, te, task, "title")
    for frame, src in ((tr, train), (te, test)):
        title = src["title"].fillna("").astype(str)
        frame["log_votes"] = np.log1p(src["votes"].clip(lower=0))
        frame["log_budget"] = np.log1p(src["budget"])
        frame["title_words"] = title.str.split().str.len().astype(float)
        frame["sequel"] = title.str.contains(r"\b(?:2|3|4|II|III|IV|Part)\b").astype(float)
        frame["foreign_article"] = title.str.contains(r", (?:Le|La|Les|Il|Der|Die|Das|El|Los|L')$").astype(float)
        frame["n_genres"] = src[["action", "animation", "comedy", "drama", "documentary", "romance", "short"]].sum(
            axis=1
        )
        frame["decade"] = (src["year"] // 10 * 10).astype(float)
    return tr, te


register_expert(
    Expert(
        "movies-rating",
        "title words (TF-IDF ridge stacked), log votes and budget, sequels, foreign titles; boosted trees "
        "of other shapes and losses, and the plain columns next to the engineered ones",
        features=movies_features,
        text=("title",),
        recipes=numbered(
            21,
            "expert",
            ("lgbm", {"lr": 0.03, "leaves": 63, "min_child": 40, "colsample": 0.5, "subsample": 0.7, "l2": 5.0}),
            ("lgbm", {"lr": 0.05, "leaves": 255, "min_child": 20, "colsample": 0.6}),
            ("lgbm", {"lr": 0.05, "leaves": 31, "objective": "huber"}),
            ("lgbm", {"lr": 0.05, "leaves": 31, "colsample": 0.6, "extra_trees": True}),
            ("lgbm", {"lr": 0.05, "leaves": 63, "min_child": 20}, "base"),
            ("hgb", {"lr": 0.05, "leaves": 63, "l2": 1.0}),
            ("et", {"trees": 200, "min_leaf": 3, "max_features": 0.5, "max_samples": 0.5}),
            ("lgbm", {"lr": 0.02, "leaves": 127, "min_child": 50, "colsample": 0.4, "subsample": 0.7, "l2": 3.0}),
            ("hgb", {"lr": 0.1, "leaves": 127, "l2": 5.0, "min_child": 40}),
            ("lgbm", {"lr": 0.03, "leaves": 31, "min_child": 100, "colsample": 0.8, "l2": 10.0}),
            ("lgbm", {"lr": 0.05, "leaves": 15, "min_child": 20, "colsample": 0.7}),
            ("lgbm", {"lr": 0.02, "leaves": 63, "min_child": 20, "colsample": 0.7, "subsample": 0.8}),
            ("lgbm", {"lr": 0.05, "leaves": 63, "colsample": 0.5, "objective": "huber"}),
            ("lgbm", {"lr": 0.03, "leaves": 511, "min_child": 100, "colsample": 0.5}),
            ("lgbm", {"lr": 0.05, "leaves": 31, "max_bin": 1023, "colsample": 0.7}),
            ("hgb", {"lr": 0.03, "leaves": 31, "l2": 3.0}),
            ("hgb", {"lr": 0.05, "leaves": 255, "min_child": 60}),
            ("lgbm", {"lr": 0.03, "leaves": 127, "colsample": 0.7}, "base"),
            ("lgbm", {"lr": 0.05, "leaves": 31, "objective": "huber"}, "base"),
            ("lgbm", {"lr": 0.03, "leaves": 63, "target": "log", "colsample": 0.6}),
            ("rf", {"trees": 200, "min_leaf": 3, "max_features": 0.5, "max_samples": 0.5}),
        ),
    )
)


# ---------------------------------------------------------------- fine food reviews: sentiment n-grams


def reviews_features(train: pd.DataFrame, test: pd.DataFrame, task: TaskData) -> Frames:
    tr, te = train.copy(), test.copy()
    stacked_text_models(tr, te, task, "review")
    for frame, src in ((tr, train), (te, test)):
        stats = _text_stats(src["review"])
        for col in ("n_chars", "n_words", "caps_share", "n_exclaim", "n_digits"):
            frame[col] = stats[col].to_numpy()
    return tr, te


register_expert(
    Expert(
        "fine-foods-reviews",
        "word and char n-gram sentiment models (logistic, NB-SVM) stacked with review length and style",
        features=reviews_features,
        recipes=(
            Recipe("logreg", {"C": 10.0, "text": "both"}, view="base", seed=21),
            Recipe("nbsvm", {"C": 4.0, "text": "word", "word_ngram": (1, 3), "text_only": True}, view="base", seed=22),
        ),
    )
)
