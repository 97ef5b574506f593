"""Spambase: flag spam e-mails from word/character frequencies and capital-letter run lengths."""

from pathlib import Path

from medalist.tasks.dataset_packages import import_dataset_package
from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "spambase"
SYMBOLS = {
    "C;": "char_semicolon",
    "C(": "char_paren",
    "C[": "char_bracket",
    "C!": "char_exclam",
    "C$": "char_dollar",
    "C#": "char_hash",
    "re:": "word_re",
}


def _name(col: str) -> str:
    col = col.strip()
    if col in SYMBOLS:
        return SYMBOLS[col]
    if col.startswith("W_"):
        return "word_" + col[2:]
    if col in ("Spam",) or col.startswith("CAP_"):
        return snake_case(col)
    return "word_" + snake_case(col)


def prepare(raw: Path, public: Path, private: Path) -> None:
    load_data = import_dataset_package("dmba").load_data

    df = load_data("Spambase.csv.gz")
    df.columns = [_name(c) for c in df.columns]
    train, test = keyed_split(df, task_id=TASK, test_size=0.4, stratify="spam")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["spam"],
        sample_values={"spam": 0},
    )
