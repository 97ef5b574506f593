"""Expert hooks for pixel tasks: kernel SVMs and neighbours on deskewed pixels and gradient histograms.

The generic image zoo (:func:`medalist.baselines.zoo.default_zoo`) already holds the classic
recipes; the experts add the parameter sets known to do best on each digit set.
"""

from __future__ import annotations

from medalist.baselines.experts.registry import Expert, register_expert
from medalist.baselines.recipes.base import Recipe

register_expert(
    Expert(
        "mnist-5k",
        "deskewing and gradient histograms; RBF SVMs with C around 5-10 and nearest neighbours",
        recipes=(
            Recipe("svm", {"C": 10.0, "gamma": 0.02, "numeric": "raw"}, view="deskew_hog", seed=21),
            Recipe("knn", {"k": 3, "weights": "distance", "numeric": "raw"}, view="deskew_hog", seed=22),
        ),
    )
)

register_expert(
    Expert(
        "digits-8x8",
        "RBF, quadratic and cubic-kernel SVMs on raw and deskewed 8x8 pixels and gradient histograms, nearest "
        "neighbours, perceptrons, logistic regression and large forests: the classic digit classifiers",
        recipes=(
            Recipe("svm", {"C": 10.0, "gamma": 0.1, "numeric": "raw"}, view="pixels", seed=21),
            Recipe("knn", {"k": 3, "weights": "distance", "numeric": "raw"}, view="pixels", seed=22),
            Recipe("svm", {"C": 1.0, "kernel": "poly", "degree": 3, "numeric": "raw"}, view="pixels", seed=14),
            Recipe("svm", {"C": 1.0, "kernel": "poly", "degree": 3, "numeric": "raw"}, view="deskew", seed=15),
            Recipe("mlp", {"hidden": (512,), "alpha": 0.01, "numeric": "raw"}, view="pixels", seed=16),
            Recipe("mlp", {"hidden": (512,), "alpha": 0.01, "numeric": "raw"}, view="deskew_hog", seed=17),
            Recipe("et", {"trees": 1000}, view="pixels", seed=18),
            Recipe("rf", {"trees": 500}, view="deskew", seed=19),
            Recipe("svm", {"C": 1.0, "kernel": "poly", "degree": 2, "numeric": "raw"}, view="pixels", seed=23),
            Recipe("svm", {"C": 3.0, "numeric": "raw"}, view="deskew_hog", seed=24),
            Recipe("knn", {"k": 5, "weights": "distance", "numeric": "raw"}, view="deskew_hog", seed=25),
            Recipe("mlp", {"hidden": (256, 128), "alpha": 0.001, "numeric": "raw"}, view="deskew", seed=26),
            Recipe("logreg", {"C": 0.5, "numeric": "raw"}, view="deskew", seed=27),
        ),
    )
)
