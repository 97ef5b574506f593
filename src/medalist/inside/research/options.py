"""The research agent's options; defaults follow MLAgentBench's research agent where it has the same knob."""

from __future__ import annotations

from pydantic import Field

from medalist.inside.options import CodingAgentOptions


class ResearchOptions(CodingAgentOptions):
    history_steps: int = Field(
        default=3, ge=1, description="Recent steps shown in full in the prompt (MLAgentBench: 3)."
    )
    observation_chars: int = Field(
        default=5000,
        ge=500,
        description="Characters of an observation kept in the prompt, head and tail (MLAgentBench "
        "summarises observations over 5,000).",
    )
    understand_chunk_chars: int = Field(
        default=10000, ge=1000, description="Understand File reads files in pieces of this size (MLAgentBench: 10,000)."
    )
    understand_max_chunks: int = Field(default=8, ge=1, description="Pieces of a file Understand File reads at most.")
    final_answer_needs_submission: bool = Field(
        default=True, description="Refuse Final Answer (twice at most) while there is no valid submission."
    )
