"""The aide agent's options; defaults follow aideml 0.2.2's where it has the same knob."""

from __future__ import annotations

from pydantic import Field

from medalist.inside.options import CodingAgentOptions


class AideOptions(CodingAgentOptions):
    num_drafts: int = Field(default=5, ge=1, description="Drafts written before debugging or improving (aideml: 5).")
    debug_prob: float = Field(
        default=0.5, ge=0, le=1, description="Chance of debugging a buggy leaf at a step (aideml: 0.5)."
    )
    max_debug_depth: int = Field(
        default=3, ge=0, description="Debug attempts in a row on one line of fixes (aideml: 3)."
    )
    k_fold_validation: int = Field(
        default=5, ge=1, description="Ask for k-fold cross-validation (1: a hold-out split; aideml: 5)."
    )
    memory_chars: int = Field(
        default=8000, ge=500, description="Length cap of the memory of working solutions in prompts."
    )
    review_max_tokens: int | None = Field(
        default=None, gt=0, description="Output-token cap of a review (default: none beyond --max-output-tokens)."
    )
