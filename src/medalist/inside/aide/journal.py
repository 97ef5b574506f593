"""The AIDE solution tree: every node (draft, debug or improve) with its code, output and review."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from medalist.fsutil import atomic_write_json

Stage = Literal["draft", "debug", "improve"]


class Node(BaseModel):
    """One candidate solution script and what running and reviewing it showed."""

    id: int
    step: int
    parent_id: int | None = None
    stage: Stage
    plan: str = ""
    code: str = ""
    output: str = Field(default="", description="Excerpt of the script's stdout+stderr (head and tail).")
    exit_code: int | None = None
    timed_out: bool = False
    exec_seconds: float | None = None
    has_submission: bool = False
    submission_valid: bool | None = None
    submission_check: str = ""
    submission_source: str = Field(
        default="", description="Where the script wrote its submission (contract path or its folder)."
    )
    printed_metric: float | None = Field(
        default=None, description="The last VALIDATION_METRIC line of the full output."
    )
    findings: list[str] = Field(
        default_factory=list, description="What the harness found wrong (facts, not the review)."
    )
    retries: int = Field(default=0, description="Re-asks of the code model for a reply without code.")
    is_bug: bool = True
    metric: float | None = None
    lower_is_better: bool | None = None
    summary: str = ""
    review_raw: str = Field(default="", description="The feedback model's answer, as given.")
    review_parsed: bool = False
    debug_depth: int = 0
    started_at: str = ""
    ended_at: str = ""
    error: str | None = Field(default=None, description="Why the node could not be built (e.g. no code in the answer).")

    @property
    def good(self) -> bool:
        return not self.is_bug and self.metric is not None


class Journal(BaseModel):
    """``journal.json``: the task, the search settings, every node and the best one."""

    task_id: str = ""
    metric_name: str = ""
    lower_is_better: bool = False
    settings: dict[str, object] = Field(default_factory=dict)
    started_at: str = ""
    ended_at: str | None = None
    elapsed_secs: float = Field(default=0.0, description="Agent time used so far, over every attempt of the run.")
    attempts: int = Field(default=1, description="Attempts that worked on this journal (2+: resumed with --resume).")
    stop_reason: str | None = None
    best_node_id: int | None = None
    nodes: list[Node] = Field(default_factory=list)

    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def children(self, node_id: int) -> list[Node]:
        return [n for n in self.nodes if n.parent_id == node_id]

    @property
    def drafts(self) -> list[Node]:
        return [n for n in self.nodes if n.stage == "draft"]

    @property
    def good_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.good]

    def buggy_leaves(self, max_debug_depth: int) -> list[Node]:
        """Buggy nodes with code and no children whose line of fixes may go deeper."""
        parents = {n.parent_id for n in self.nodes}
        return [
            n for n in self.nodes if n.is_bug and n.id not in parents and n.debug_depth < max_debug_depth and n.code
        ]

    def best(self) -> Node | None:
        good = self.good_nodes
        if not good:
            return None
        key = (lambda n: n.metric) if self.lower_is_better else (lambda n: -(n.metric or 0.0))
        return min(good, key=key)

    def save(self, path: Path) -> None:
        atomic_write_json(path, self)
