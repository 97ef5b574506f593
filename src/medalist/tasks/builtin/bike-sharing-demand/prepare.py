"""Capital Bikeshare (hourly, 2011): predict casual and registered riders per hour (two targets).

``bikers`` is dropped: it is the sum of the two targets.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "bike-sharing-demand"
TARGETS = ["casual", "registered"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    from ISLP import load_data

    df = load_data("Bikeshare").drop(columns=["bikers"])
    for col in ("mnth", "hr", "weathersit"):
        df[col] = df[col].astype(str)
    df["hr"] = df["hr"].astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=TARGETS,
        sample_values={t: float(train[t].mean().round(1)) for t in TARGETS},
    )
