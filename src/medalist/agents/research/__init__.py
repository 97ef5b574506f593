"""The ``research`` agent: a tool-using research assistant in an MLAgentBench-style environment
(List/Read/Write/Copy File, Inspect Script Lines, Execute Script, Edit Script (AI), Undo Edit Script,
Understand File, Reflection, Final Answer), our implementation. Runs inside the sandbox behind the
model gateway; writes ``/home/logs/trace.json`` and ``/home/logs/snapshots/step_N``.
"""

from __future__ import annotations

from medalist.agents.gateway_agent import CodingAgent
from medalist.inside.research.options import ResearchOptions


class ResearchAgent(CodingAgent):
    id = "research"
    description = "Tool-using research agent (MLAgentBench-style actions), trace and per-step snapshots."
    module = "medalist.inside.research.main"
    calls_per_step = 2  # the action, and a model call the action may make (edit, understand)
    options_model = ResearchOptions


__all__ = ["ResearchAgent", "ResearchOptions"]
