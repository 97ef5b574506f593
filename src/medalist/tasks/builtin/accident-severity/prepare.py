"""US road accidents 2001: predict the maximum injury severity (0 none, 1 injury, 2 fatal).

Dropped to avoid leakage: ``INJURY_CRASH``, ``NO_INJ_I``, ``PRPTYDMG_CRASH`` and ``FATALITIES``,
which are recorded outcomes that determine the severity class.
"""

from pathlib import Path

from medalist.tasks.dataset_packages import import_dataset_package
from medalist.tasks.splitting import keyed_split, write_competition

TASK = "accident-severity"
LEAKY = ["INJURY_CRASH", "NO_INJ_I", "PRPTYDMG_CRASH", "FATALITIES"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    load_data = import_dataset_package("dmba").load_data

    df = load_data("accidentsFull.csv.gz").drop(columns=LEAKY)
    df.columns = [c.lower() for c in df.columns]
    df = df.rename(columns={"max_sev_ir": "severity"})
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="severity")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["severity"],
        sample_values={"severity": 0},
    )
