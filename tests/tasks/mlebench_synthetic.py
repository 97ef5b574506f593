"""Synthetic Kaggle downloads for MLE-bench's tabular competitions, in the layout each prepare.py expects.

Small but shaped like the real files: the real file names (zipped where Kaggle zips them), column names,
types and id formats, with targets that depend on the features (so a model can learn something).
Used by the conformance tests, which prepare them with medalist and grade with both graders.
"""

from __future__ import annotations

import ast
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

UPSTREAM = Path(os.environ.get("MEDALIST_UPSTREAM_MLEBENCH", "/work/shared/upstream/mle-bench"))
"""The unchanged upstream checkout (test input only; see ../shared/upstream/README.md)."""


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def spaceship_titanic(raw: Path, rng: np.random.Generator, n: int = 1500) -> None:
    """train.csv as on Kaggle: PassengerId 'gggg_pp', booleans as True/False, Cabin 'deck/num/side'."""
    groups = np.sort(rng.choice(np.arange(1, 9000), size=n, replace=False))
    planet = rng.choice(["Earth", "Europa", "Mars"], size=n, p=[0.55, 0.25, 0.2])
    cryo = rng.random(n) < 0.35
    age = np.round(rng.gamma(4, 7, size=n))
    spend = {
        c: np.where(cryo, 0.0, np.round(rng.exponential(300, size=n) * (rng.random(n) < 0.4)))
        for c in ("RoomService", "FoodCourt", "ShoppingMall", "Spa", "VRDeck")
    }
    side = rng.choice(["P", "S"], size=n)
    score = 2.0 * cryo - 0.004 * (spend["Spa"] + spend["VRDeck"]) + 0.8 * (planet == "Europa") + 0.4 * (side == "S")
    transported = score + rng.normal(0, 0.7, size=n) > 0.3
    df = pd.DataFrame(
        {
            "PassengerId": [f"{g:04d}_{rng.integers(1, 4):02d}" for g in groups],
            "HomePlanet": planet,
            "CryoSleep": cryo,
            "Cabin": [
                f"{d}/{k}/{s}"
                for d, k, s in zip(rng.choice(list("ABCDEFG"), size=n), rng.integers(0, 1800, size=n), side)
            ],
            "Destination": rng.choice(["TRAPPIST-1e", "PSO J318.5-22", "55 Cancri e"], size=n),
            "Age": age,
            "VIP": rng.random(n) < 0.03,
            **spend,
            "Name": [f"Name{i} Family{g}" for i, g in enumerate(groups)],
            "Transported": transported,
        }
    )
    for col in ("HomePlanet", "CryoSleep", "Cabin", "Age", "VIP"):  # Kaggle's file has ~2% missing values
        df[col] = df[col].astype(object).mask(rng.random(n) < 0.02)
    df.to_csv(raw / "train.csv", index=False)


def leaf_classification(raw: Path, rng: np.random.Generator, per_class: int = 10) -> None:
    """train.csv.zip (id, species, margin1..64, shape1..64, texture1..64) and images.zip (images/<id>.jpg)."""
    from PIL import Image

    classes = leaf_classes()
    n = per_class * len(classes)
    ids = np.sort(rng.choice(np.arange(1, 1585), size=n, replace=False))
    species = np.repeat(classes, per_class)
    rng.shuffle(species)
    centre = {c: rng.random(192) for c in classes}
    feats = np.stack([centre[s] for s in species]) + rng.normal(0, 0.15, size=(n, 192))
    feats = np.clip(feats, 0, None) / 50
    cols = [f"{kind}{i}" for kind in ("margin", "shape", "texture") for i in range(1, 65)]
    df = pd.concat([pd.DataFrame({"id": ids, "species": species}), pd.DataFrame(feats, columns=cols)], axis=1)
    _zip(raw / "train.csv.zip", {"train.csv": _csv_bytes(df)})
    buf = io.BytesIO()
    Image.fromarray((rng.random((16, 16)) * 255).astype(np.uint8), mode="L").save(buf, format="JPEG")
    _zip(raw / "images.zip", {f"images/{i}.jpg": buf.getvalue() for i in range(1, 1585)})


def leaf_classes() -> list[str]:
    """The 99 species of leaf-classification, read from the upstream checkout (its classes.py)."""
    tree = ast.parse((UPSTREAM / "mlebench/competitions/leaf-classification/classes.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign))
    return list(ast.literal_eval(node.value))


def new_york_city_taxi_fare_prediction(raw: Path, rng: np.random.Generator, n: int = 12_000) -> None:
    """train.csv (key, fare_amount, pickup_datetime, coordinates, passenger_count) and the GCP coupon .rtf.
    Their prepare.py keeps 9,914 rows for the test set, so the file has a few thousand more."""
    start = pd.Timestamp("2009-01-01").value // 10**9
    secs = np.sort(rng.integers(start, start + 6 * 365 * 86400, size=n))
    when = pd.to_datetime(secs, unit="s")
    lon0, lat0 = rng.normal(-73.98, 0.03, size=n), rng.normal(40.75, 0.03, size=n)
    lon1, lat1 = lon0 + rng.normal(0, 0.03, size=n), lat0 + rng.normal(0, 0.03, size=n)
    km = np.hypot((lon1 - lon0) * 84.0, (lat1 - lat0) * 111.0)
    fare = np.round(2.5 + 1.6 * km + 0.5 * (when.hour.to_numpy() >= 20) + rng.normal(0, 1.0, size=n), 2)
    df = pd.DataFrame(
        {
            "key": [f"{t} .{i:07d}".replace(" .", ".") for i, t in enumerate(when.strftime("%Y-%m-%d %H:%M:%S"))],
            "fare_amount": np.clip(fare, 2.5, None),
            "pickup_datetime": when.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "pickup_longitude": lon0.round(6),
            "pickup_latitude": lat0.round(6),
            "dropoff_longitude": lon1.round(6),
            "dropoff_latitude": lat1.round(6),
            "passenger_count": rng.choice([1, 1, 1, 2, 3, 5], size=n),
        }
    )
    df.to_csv(raw / "train.csv", index=False)
    (raw / "GCP-Coupons-Instructions.rtf").write_text("{\\rtf1\\ansi Google Cloud Platform coupon instructions.}\n")


NOMAD_FEATURES = [
    "spacegroup",
    "number_of_total_atoms",
    "percent_atom_al",
    "percent_atom_ga",
    "percent_atom_in",
    "lattice_vector_1_ang",
    "lattice_vector_2_ang",
    "lattice_vector_3_ang",
    "lattice_angle_alpha_degree",
    "lattice_angle_beta_degree",
    "lattice_angle_gamma_degree",
]


def _nomad_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    al = rng.dirichlet([1, 1, 1], size=n).round(4)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "spacegroup": rng.choice([12, 33, 167, 194, 206, 227], size=n),
            "number_of_total_atoms": rng.choice([10.0, 20.0, 30.0, 40.0, 60.0, 80.0], size=n),
            "percent_atom_al": al[:, 0],
            "percent_atom_ga": al[:, 1],
            "percent_atom_in": al[:, 2],
            "lattice_vector_1_ang": rng.uniform(3, 25, size=n).round(4),
            "lattice_vector_2_ang": rng.uniform(3, 10, size=n).round(4),
            "lattice_vector_3_ang": rng.uniform(5, 25, size=n).round(4),
            "lattice_angle_alpha_degree": rng.normal(90, 3, size=n).round(4),
            "lattice_angle_beta_degree": rng.normal(95, 8, size=n).round(4),
            "lattice_angle_gamma_degree": rng.normal(100, 15, size=n).round(4),
        }
    )


def _xyz(rng: np.random.Generator, atoms: int) -> bytes:
    lines = [
        "#=======================================================",
        "#Created using the Atomic Simulation Environment (ASE)",
        "#=======================================================",
    ]
    lines += [f"lattice_vector {a:.8f} {b:.8f} {c:.8f} " for a, b, c in rng.uniform(0, 10, size=(3, 3))]
    lines += [
        f"atom {x:.8f} {y:.8f} {z:.8f} {el}"
        for (x, y, z), el in zip(rng.uniform(0, 10, size=(atoms, 3)), rng.choice(["Al", "Ga", "In", "O"], size=atoms))
    ]
    return ("\n".join(lines) + "\n").encode()


def nomad2018_predict_transparent_conductors(raw: Path, rng: np.random.Generator, n: int = 600) -> None:
    """train.zip (train/<id>/geometry.xyz), train.csv.zip, test.zip and test.csv.zip, as Kaggle ships them."""
    train = _nomad_frame(rng, n)
    train["formation_energy_ev_natom"] = np.clip(
        0.05 + 0.25 * train.percent_atom_al - 0.1 * train.percent_atom_in + rng.normal(0, 0.03, size=n), 0, None
    ).round(4)
    train["bandgap_energy_ev"] = np.clip(
        1.0 + 4.0 * train.percent_atom_al + 1.5 * train.percent_atom_ga + rng.normal(0, 0.2, size=n), 0, None
    ).round(4)
    test = _nomad_frame(rng, n // 4)
    _zip(raw / "train.csv.zip", {"train.csv": _csv_bytes(train)})
    _zip(raw / "test.csv.zip", {"test.csv": _csv_bytes(test)})
    _zip(raw / "train.zip", {f"train/{i}/geometry.xyz": _xyz(rng, 10) for i in train.id})
    _zip(raw / "test.zip", {f"test/{i}/geometry.xyz": _xyz(rng, 10) for i in test.id})


def tabular_playground_series_dec_2021(raw: Path, rng: np.random.Generator, n: int = 3000) -> None:
    """train.csv: Id, 10 terrain measures, Wilderness_Area1-4, Soil_Type1-40 (one-hot), Cover_Type 1-7."""
    elevation = rng.normal(2980, 290, size=n).round()
    df = pd.DataFrame(
        {
            "Id": rng.permutation(np.arange(n) * 7 + 3),
            "Elevation": elevation,
            "Aspect": rng.uniform(0, 360, size=n).round(),
            "Slope": rng.uniform(0, 50, size=n).round(),
            "Horizontal_Distance_To_Hydrology": rng.exponential(250, size=n).round(),
            "Vertical_Distance_To_Hydrology": rng.normal(50, 60, size=n).round(),
            "Horizontal_Distance_To_Roadways": rng.exponential(1700, size=n).round(),
            "Hillshade_9am": rng.integers(0, 256, size=n),
            "Hillshade_Noon": rng.integers(0, 256, size=n),
            "Hillshade_3pm": rng.integers(0, 256, size=n),
            "Horizontal_Distance_To_Fire_Points": rng.exponential(1500, size=n).round(),
        }
    )
    wilderness = rng.integers(0, 4, size=n)
    for k in range(4):
        df[f"Wilderness_Area{k + 1}"] = (wilderness == k).astype(int)
    soil = rng.integers(0, 40, size=n)
    for k in range(40):
        df[f"Soil_Type{k + 1}"] = (soil == k).astype(int)
    band = np.digitize(elevation + 120 * wilderness + rng.normal(0, 60, size=n), [2700, 2900, 3050, 3200, 3350, 3500])
    df["Cover_Type"] = np.array([3, 2, 1, 2, 7, 1, 7])[band]
    df.loc[rng.choice(n, size=3, replace=False), "Cover_Type"] = [4, 5, 6]  # the rare classes exist, barely
    df.to_csv(raw / "train.csv", index=False)


def tabular_playground_series_may_2022(raw: Path, rng: np.random.Generator, n: int = 102_000) -> None:
    """train.csv: id, f_00..f_30 (floats, counts, the 10-letter string f_27, small ints), binary target.
    Their prepare.py keeps 100,000 rows for the test set, so the file has a few thousand more."""
    cols: dict[str, object] = {"id": np.arange(n)}
    for i in range(7):
        cols[f"f_{i:02d}"] = rng.normal(size=n).round(6)
    for i in range(7, 19):
        cols[f"f_{i:02d}"] = rng.poisson(2, size=n)
    for i in range(19, 27):
        cols[f"f_{i:02d}"] = rng.normal(0, 2, size=n).round(6)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRST"))
    cols["f_27"] = ["".join(row) for row in letters[rng.integers(0, 20, size=(n, 10))]]
    cols["f_28"] = rng.normal(0, 200, size=n).round(4)
    cols["f_29"] = rng.integers(0, 2, size=n)
    cols["f_30"] = rng.integers(0, 3, size=n)
    df = pd.DataFrame(cols)
    logit = 1.2 * df.f_00 - 0.8 * df.f_21 / 2 + 0.6 * (df.f_30 == 2) + 0.3 * df.f_08 - 0.6
    df["target"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df.to_csv(raw / "train.csv", index=False)


GENERATORS: dict[str, Callable[[Path, np.random.Generator], None]] = {
    "spaceship-titanic": spaceship_titanic,
    "leaf-classification": leaf_classification,
    "new-york-city-taxi-fare-prediction": new_york_city_taxi_fare_prediction,
    "nomad2018-predict-transparent-conductors": nomad2018_predict_transparent_conductors,
    "tabular-playground-series-dec-2021": tabular_playground_series_dec_2021,
    "tabular-playground-series-may-2022": tabular_playground_series_may_2022,
}
"""Tabular competitions of MLE-bench's low split, plus spaceship-titanic (its smallest tabular task)."""


def write_raw(competition_id: str, raw: Path, seed: int = 0) -> None:
    """Write the synthetic Kaggle download of ``competition_id`` into ``raw``."""
    raw.mkdir(parents=True, exist_ok=True)
    GENERATORS[competition_id](raw, np.random.default_rng(seed))


# Leaderboards for a temp copy of the checkout (upstream's are LFS pointers): 150 teams (Kaggle's
# 100-249 bracket), best first, spanning scores from expert to weak so medals are decided by the score.
LEADERBOARD_RANGES: dict[str, tuple[float, float]] = {
    "spaceship-titanic": (0.99, 0.50),
    "leaf-classification": (0.0, 4.6),
    "new-york-city-taxi-fare-prediction": (0.8, 6.0),
    "nomad2018-predict-transparent-conductors": (0.02, 0.40),
    "tabular-playground-series-dec-2021": (0.99, 0.40),
    "tabular-playground-series-may-2022": (0.99, 0.50),
}


def write_leaderboard(competition_dir: Path, best: float, worst: float, teams: int = 150) -> None:
    scores = np.linspace(best, worst, teams).round(5)
    pd.DataFrame({"teamId": np.arange(1, teams + 1), "score": scores, "submissionDate": "2024-01-01"}).to_csv(
        competition_dir / "leaderboard.csv", index=False
    )
