"""Caravan insurance (CoIL 2000): find the 6% of customers who buy caravan insurance."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "caravan-insurance"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from ISLP import load_data

    df = load_data("Caravan")
    df["purchase"] = (df.pop("Purchase") == "Yes").astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="purchase")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["purchase"],
        sample_values={"purchase": 0.5},
    )
