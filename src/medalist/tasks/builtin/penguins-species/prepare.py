"""Palmer Penguins: predict species from body measurements, island, sex and year."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "penguins-species"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from palmerpenguins import load_penguins

    df = load_penguins()
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="species")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["species"],
        sample_values={"species": "Adelie"},
    )
