"""Handwritten digits (8x8): classify 8x8 grey-level images, given as 64 pixel columns."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "digits-8x8"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from sklearn.datasets import load_digits

    d = load_digits(as_frame=True)
    df = d.data.astype(int)
    df.columns = [f"px{i}" for i in range(df.shape[1])]
    df["digit"] = d.target.to_numpy()
    train, test = keyed_split(df, task_id=TASK, test_size=0.6, stratify="digit")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["digit"],
        sample_values={"digit": 0},
    )
