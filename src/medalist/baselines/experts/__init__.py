"""Per-task expert feature engineering and recipes for the built-in suite's reference populations."""

from medalist.baselines.experts.registry import Expert, FeatureFn, expert_for, experts, register_expert

__all__ = ["Expert", "FeatureFn", "expert_for", "experts", "register_expert"]
