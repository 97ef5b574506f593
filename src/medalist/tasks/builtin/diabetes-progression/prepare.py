"""Diabetes progression: predict a disease-progression score one year after baseline."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "diabetes-progression"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from sklearn.datasets import load_diabetes

    df = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"s1": "tc", "s2": "ldl", "s3": "hdl", "s4": "tch", "s5": "ltg", "s6": "glu", "target": "progression"}
    )
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["progression"],
        sample_values={"progression": float(train["progression"].mean().round(1))},
    )
