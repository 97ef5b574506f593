"""Wisconsin diagnostic breast cancer: predict P(benign) from 30 cell-nucleus features."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "breast-cancer-diagnosis"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    df.columns = [c.replace(" ", "_") for c in df.columns]
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="target")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["target"],
        sample_values={"target": 0.5},
    )
