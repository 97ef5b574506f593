"""Seattle weather 2012-2015: name the day's weather (sun, rain, fog, drizzle, snow) from measurements."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "seattle-weather"


def prepare(raw: Path, public: Path, private: Path) -> None:
    from vega_datasets import local_data

    df = local_data.seattle_weather()
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    train, test = keyed_split(df, task_id=TASK, test_size=0.5, stratify="weather")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["weather"],
        sample_values={"weather": "sun"},
    )
