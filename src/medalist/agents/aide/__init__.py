"""The ``aide`` agent: AIDE-style solution-tree search (draft / debug / improve), our implementation.

The search runs inside the sandbox (:mod:`medalist.inside.aide.main`) and reaches models only
through the harness gateway; the host side here starts that gateway for the run.
"""

from __future__ import annotations

from medalist.agents.gateway_agent import CodingAgent
from medalist.inside.aide.options import AideOptions


class AideAgent(CodingAgent):
    id = "aide"
    description = "LLM tree search over scripts: draft, debug, improve; best node's code and submission kept."
    module = "medalist.inside.aide.main"
    calls_per_step = 3  # code, review, and a review retried without JSON mode
    options_model = AideOptions


__all__ = ["AideAgent", "AideOptions"]
