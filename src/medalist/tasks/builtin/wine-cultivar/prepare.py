"""Wine cultivar: predict a probability for each of three cultivars from 13 chemical measurements."""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, one_hot_answers, snake_case, write_competition

TASK = "wine-cultivar"
CLASSES = ["class_0", "class_1", "class_2"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    from sklearn.datasets import load_wine

    df = load_wine(as_frame=True).frame
    df.columns = [snake_case(c) for c in df.columns]
    df["cultivar"] = df.pop("target").map(lambda k: CLASSES[int(k)])
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="cultivar")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["cultivar"],
        sample_values={c: round(1 / 3, 6) for c in CLASSES},
        answer_columns=one_hot_answers(test["cultivar"], CLASSES),
    )
