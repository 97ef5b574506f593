"""Prompts of the aide agent (our own wording): draft, improve, debug, the JSON review, and the re-asks.

Every code prompt carries the task, the facts the harness knows (data preview, installed packages,
limits, the metric and its direction, the one submission path of the agent contract), the memory of
every working solution so far, and a ``[status]`` line with the time and steps left.
"""

from __future__ import annotations

from dataclasses import dataclass

from medalist.inside.aide.journal import Journal, Node

SYSTEM = (
    "You are an expert machine-learning engineer competing in a Kaggle-style competition. "
    "You write complete, self-contained Python scripts that run without network access."
)
FORMAT = (
    "# Answer format\nA brief plan in plain prose (3-5 sentences), then the whole script in ONE ```python block. "
    "Nothing after the code block."
)
NO_CODE = (
    "Your answer had no ```python code block, so nothing could be run. Answer again: a brief plan, then the "
    "whole script in one ```python block."
)


@dataclass
class PromptFacts:
    """What every code prompt states about the task and the machine."""

    task: str
    preview: str
    environment: str
    data_dir: str
    submission_path: str
    sample_submission: str
    metric_name: str
    lower_is_better: bool | None
    columns: list[str]
    k_fold: int = 5

    @property
    def direction(self) -> str:
        if self.lower_is_better is None:
            return "decide from the metric whether lower or higher is better"
        return "lower is better" if self.lower_is_better else "higher is better"


def requirements(f: PromptFacts) -> str:
    evaluation = (
        f"{f.k_fold}-fold cross-validation (or a hold-out split where folds do not fit the data)"
        if f.k_fold > 1
        else "a hold-out validation split"
    )
    return (
        "# Script requirements\n"
        f"- Read the data from {f.data_dir} (read-only; no need to unzip or copy it). The current folder is "
        "yours for scratch files.\n"
        f"- Evaluate with {evaluation} and print exactly one line `VALIDATION_METRIC=<number>`: the validation "
        f"{f.metric_name} ({f.direction}). Print it last; it is how your solution is judged.\n"
        f"- Write the test-set predictions to {f.submission_path} with the columns {', '.join(f.columns)}, one "
        f"row per test id, like {f.sample_submission}. This file is graded: do not skip it.\n"
        "- Finish within the time the [status] line gives for the next script (it is killed after). No plots, "
        "no user input, no network, no package installs.\n"
    )


def _header(f: PromptFacts, *, preview: bool = True) -> str:
    out = f"# Task\n{f.task}\n\n"
    if preview and f.preview:
        out += f"# Data\n{f.preview}\n\n"
    return out + f"# Environment\n{f.environment}\n\n"


def memory(journal: Journal, limit: int) -> str:
    """Every working solution so far: design, result and validation metric (best ones kept if too long)."""
    good = journal.good_nodes
    if not good:
        return ""
    entries = {
        n.id: (
            f"- node {n.id} ({n.stage}), validation {journal.metric_name or 'metric'} {n.metric:.6g}\n"
            f"  design: {' '.join(n.plan.split())[:700] or '(no plan)'}\n"
            f"  result: {' '.join(n.summary.split())[:300]}"
        )
        for n in good
    }
    ranked = sorted(good, key=lambda n: (n.metric or 0.0) if journal.lower_is_better else -(n.metric or 0.0))
    kept: list[int] = []
    size = 0
    for n in ranked:
        if size + len(entries[n.id]) > limit and kept:
            break
        kept.append(n.id)
        size += len(entries[n.id]) + 1
    omitted = len(good) - len(kept)
    body = "\n".join(entries[i] for i in sorted(kept))
    note = f"\n({omitted} weaker working solutions not shown)" if omitted else ""
    return (
        f"# Memory: the working solutions so far ({len(good)}; direction: "
        f"{'lower' if journal.lower_is_better else 'higher'} is better)\n{body}{note}\n\n"
    )


def _messages(user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def draft(f: PromptFacts, journal: Journal, status: str, memory_chars: int) -> list[dict[str, str]]:
    mem = memory(journal, memory_chars)
    avoid = (
        "Do not repeat a design from the Memory: try another model family or other features, but keep the "
        "evaluation comparable.\n"
        if mem
        else ""
    )
    user = (
        f"{_header(f)}{mem}# Status\n{status}\n\n"
        "# What to do\nWrite a first solution: simple and solid, without ensembling or hyper-parameter search yet. "
        f"{avoid}\n{requirements(f)}\n{FORMAT}"
    )
    return _messages(user)


def improve(
    f: PromptFacts, journal: Journal, parent: Node, status: str, memory_chars: int, output_chars: int
) -> list[dict[str, str]]:
    user = (
        f"{_header(f, preview=False)}{memory(journal, memory_chars)}"
        f"# Solution to improve (node {parent.id}, validation {f.metric_name} {parent.metric:.6g})\n"
        f"```python\n{parent.code}```\n\n# Its output\n```\n{parent.output[-output_chars:]}\n```\n\n"
        f"# Status\n{status}\n\n"
        "# What to do\nPropose ONE specific, atomic change that should improve the validation metric (features, "
        "model, hyper-parameters, ensembling, ...), so its effect can be measured, and take the Memory into "
        "account. Explain it in 3-5 sentences, then give the full new script.\n\n"
        f"{requirements(f)}\n{FORMAT}"
    )
    return _messages(user)


def debug(f: PromptFacts, parent: Node, status: str, output_chars: int) -> list[dict[str, str]]:
    found = "\n".join(f"- {x}" for x in parent.findings) or "- (nothing recorded)"
    review = f"\n\nThe reviewer's note: {parent.summary}" if parent.summary and parent.review_parsed else ""
    user = (
        f"{_header(f)}# A script with a problem (node {parent.id})\n```python\n{parent.code}```\n\n"
        f"# Its output\n```\n{parent.output[-output_chars:]}\n```\n\n"
        f"# What the harness found\n{found}{review}\n\n# Status\n{status}\n\n"
        "# What to do\nFind the cause, explain the fix in 3-5 sentences, then give the full fixed script.\n\n"
        f"{requirements(f)}\n{FORMAT}"
    )
    return _messages(user)


def review(f: PromptFacts, node: Node, output_chars: int) -> list[dict[str, str]]:
    found = "\n".join(f"- {x}" for x in node.findings) or "- it ran, wrote a valid submission and printed a metric"
    user = (
        f"# Task\n{f.task[:2000]}\n\n"
        f"# Script\n```python\n{node.code[:8000]}```\n\n"
        f"# Output (exit code {node.exit_code}{', timed out' if node.timed_out else ''})\n"
        f"```\n{node.output[-output_chars:]}\n```\n\n"
        f"# What the harness found\n{found}\n\n"
        "Review this run. Answer with ONE JSON object and nothing else:\n"
        '{"is_bug": true or false, "metric": number or null, "lower_is_better": true or false, '
        '"summary": "2-3 sentences"}\n'
        f"`is_bug`: the script crashed, timed out, wrote no valid submission, or its evaluation is wrong (e.g. "
        f"leaks the validation labels). `metric`: the validation {f.metric_name} it printed (null if none); "
        f"{f.direction}. `summary`: if buggy, the cause and a fix; else the empirical findings."
    )
    return [
        {"role": "system", "content": "You review the output of machine-learning scripts precisely."},
        {"role": "user", "content": user},
    ]


REVIEW_AGAIN = "That was not one JSON object with is_bug, metric, lower_is_better and summary. Answer again with only the JSON object."
