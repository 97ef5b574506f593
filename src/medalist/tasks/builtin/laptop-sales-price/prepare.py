"""London laptop sales 2008: predict the retail price of each sale (100,000 sampled transactions)."""

from pathlib import Path

from medalist.tasks.dataset_packages import import_dataset_package
from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "laptop-sales-price"
ROWS = 100_000


def prepare(raw: Path, public: Path, private: Path) -> None:
    load_data = import_dataset_package("dmba").load_data

    df = load_data("LaptopSales.csv.gz")
    df.columns = [snake_case(c) for c in df.columns]
    df = df[df["retail_price"].notna()]
    train, test = keyed_split(df, task_id=TASK, test_size=0.25, max_rows=ROWS)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["retail_price"],
        sample_values={"retail_price": float(train["retail_price"].median())},
    )
