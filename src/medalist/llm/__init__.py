"""The model layer: litellm-backed providers, usage/cost accounting, budgets and the sandbox gateway.

Importing this package is cheap: litellm is imported lazily (only by :mod:`medalist.llm.provider`),
so the in-sandbox pieces (:mod:`~medalist.inside.llm_client`, :mod:`~medalist.inside.forwarder`) stay stdlib-only.
"""

from __future__ import annotations

import os

# litellm fetches its price table from the internet at import unless told not to (offline here).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from medalist.llm.config import Budget, LLMConfig
from medalist.llm.keys import MissingApiKeyError, check_api_keys
from medalist.llm.usage import BudgetExceeded, UsageMeter, UsageSummary

__all__ = [
    "Budget",
    "BudgetExceeded",
    "LLMConfig",
    "MissingApiKeyError",
    "UsageMeter",
    "UsageSummary",
    "check_api_keys",
]
