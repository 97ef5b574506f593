"""The expert registry: recipe tables expand to recipes with consecutive seeds and their own views."""

from __future__ import annotations

from medalist.baselines.experts import experts
from medalist.baselines.experts.registry import numbered


def test_numbered_gives_consecutive_seeds_and_keeps_a_specs_own_view() -> None:
    recipes = numbered(21, "expert", ("lgbm", {"lr": 0.02}), ("hgb", {"lr": 0.1}, "base"), ("et", {"trees": 10}))
    assert [r.seed for r in recipes] == [21, 22, 23]
    assert [r.view for r in recipes] == ["expert", "base", "expert"]
    assert [r.family for r in recipes] == ["lgbm", "hgb", "et"]
    assert recipes[0].params == {"lr": 0.02}


def test_every_experts_recipes_have_distinct_names() -> None:
    for task_id, expert in experts().items():
        names = [r.name for r in expert.recipes]
        assert len(names) == len(set(names)), task_id  # a repeated name would be dropped from the zoo silently
