"""20 Newsgroups (autos vs electronics): classify a Usenet post as rec.autos or sci.electronics.

Post headers name the newsgroup (``Newsgroups:``, ``Path:``, ``Xref:`` ...), so the header block is
removed and only the ``Subject:`` line is kept in front of the body.
"""

import zipfile
from pathlib import Path

import pandas as pd

from medalist.tasks.dataset_packages import import_dataset_package
from medalist.tasks.splitting import keyed_split, write_competition

TASK = "newsgroups-autos-electronics"


def _strip_headers(raw_text: str) -> str:
    head, _, body = raw_text.replace("\r\n", "\n").partition("\n\n")
    subject = next((line[len("Subject:") :].strip() for line in head.splitlines() if line.startswith("Subject:")), "")
    return f"{subject}\n{body.strip()}".strip()


def prepare(raw: Path, public: Path, private: Path) -> None:
    dmba = import_dataset_package("dmba")

    archive = Path(dmba.__file__).parent / "csvFiles" / "AutoAndElectronics.zip"
    rows = []
    with zipfile.ZipFile(archive) as z:
        for name in sorted(z.namelist()):
            if name.endswith("/"):
                continue
            rows.append({"text": _strip_headers(z.read(name).decode("latin-1")), "newsgroup": name.split("/")[1]})
    df = pd.DataFrame(rows)
    train, test = keyed_split(df, task_id=TASK, test_size=0.5, stratify="newsgroup")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["newsgroup"],
        sample_values={"newsgroup": "rec.autos"},
    )
