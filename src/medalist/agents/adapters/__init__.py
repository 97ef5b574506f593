"""Adapters that run published agent packages (``aideml``, ``plexe``, ``openhands``) through the agent
contract and the model gateway. Each package lives in its own venv (their pinned dependencies clash with ours),
bound read-only into the sandbox; a small wrapper (run with the harness python) starts it with its
model settings pointed at the gateway and turns its output into ``/home/submission/submission.csv``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, Field

from medalist.agents.gateway_agent import GatewayAgent
from medalist.errors import MedalistError
from medalist.inside.options import AgentOptions
from medalist.sandbox.base import Mount

if TYPE_CHECKING:
    from medalist.agents.base import AgentContext, AgentLaunch
    from medalist.llm.config import LLMConfig

REPO = Path(__file__).resolve().parents[4]


class AdapterPackage(BaseModel):
    """Where a published agent is installed and how to install it."""

    id: str
    package: str
    entry: str  # console script in the venv's bin
    venv_env: str
    install: list[str] = []
    script: str | None = None  # a setup script that installs it instead of ``install``

    def venv(self, setting: str | None) -> Path:
        raw = setting or os.environ.get(self.venv_env) or REPO / f".venv-{self.id}"
        return Path(raw).expanduser().resolve()

    def install_hint(self, venv: Path) -> str:
        if self.script:
            return f"{self.venv_env}={venv} bash {REPO / self.script}"
        return f"/usr/bin/python3 -m venv {venv} && " + " && ".join(
            c.replace("{venv}", str(venv)) for c in self.install
        )


AIDEML = AdapterPackage(
    id="aideml",
    package="aideml==0.2.2",
    entry="aide",
    venv_env="MEDALIST_AIDEML_VENV",
    # aideml pins torch, transformers and old numpy/pandas/sklearn; its agent loop needs only these.
    install=[
        "{venv}/bin/pip install --no-deps aideml==0.2.2",
        "{venv}/bin/pip install openai anthropic funcy humanize jsonschema dataclasses-json omegaconf shutup "
        "coolname igraph genson black==24.3.0 rich backoff python-dotenv numpy pandas scikit-learn lightgbm",
    ],
)
PLEXE_DEPS = [
    "'pyspark>=4.0.1,<4.1'",
    "'keras>=3.12,<3.13'",
    "'xgboost-cpu>=3.1.1,<3.2'",
    "'lightgbm>=4.6,<4.7'",
    "jax",
    "'numpy>=2.3.4,<2.4'",
    "'pandas>=2.3.3,<2.4'",
    "'pyarrow>=22,<23'",
    "'scikit-learn>=1.7.2,<1.8'",
    "smolagents",
    "'litellm>=1.79.3'",
    "cloudpickle",
    "dataclasses-json",
    "joblib",
    "pydantic",
    "pydantic-settings",
    "pyyaml",
    "tenacity",
    "openinference-instrumentation-smolagents",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
]
PLEXE = AdapterPackage(
    id="plexe",
    package="plexe==1.4.4",
    entry="plexe",
    venv_env="MEDALIST_PLEXE_VENV",
    # plexe pins tensorflow (only its keras models train with it) and xgboost with CUDA's nccl; its
    # workflow needs pyspark (and a Java 17+ runtime), keras (on jax), xgboost-cpu and these.
    install=["{venv}/bin/pip install --no-deps plexe==1.4.4", "{venv}/bin/pip install " + " ".join(PLEXE_DEPS)],
)

OPENHANDS = AdapterPackage(
    # Current OpenHands needs Python >= 3.12: the script builds the venv on Debian 13's CPython 3.13.
    id="openhands",
    package="openhands-sdk==1.58.2",
    entry="python",
    venv_env="MEDALIST_OPENHANDS_VENV",
    script="scripts/setup_openhands.sh",
)


def installed_venvs() -> list[Path]:
    """The adapters' venvs installed here (default locations or their ``MEDALIST_*_VENV``): runs bind
    them read-only, so the runner has them scanned for answer copies and hides what the floor and
    the scans name inside them, like in every bound tree."""
    return [v for v in (pkg.venv(None) for pkg in (AIDEML, PLEXE, OPENHANDS)) if (v / "bin").is_dir()]


def java_conf_mounts(run_dir: Path) -> list[Mount]:
    """Debian's JDK links its configuration (conf/security/java.security, ...) to /etc/java-N-openjdk, which
    the sandbox's private /etc lacks: without it the JVM (pyspark's) cannot start. The links are resolved
    into a copy under the run dir, bound over the JDK's conf/ (an existing mount point)."""
    java = shutil.which("java")
    if not java:
        return []
    conf = Path(java).resolve().parents[1] / "conf"
    if not conf.is_dir() or not any(p.is_symlink() for p in conf.rglob("*")):
        return []
    copy = Path(run_dir) / "java_conf"
    shutil.copytree(conf, copy, symlinks=False, dirs_exist_ok=True)
    for p in [copy, *copy.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return [Mount(source=copy, target=str(conf))]


class AidemlOptions(AgentOptions):
    venv: str | None = Field(default=None, description="aideml's venv (default: MEDALIST_AIDEML_VENV or .venv-aideml).")
    num_drafts: int | None = Field(default=None, ge=1, description="agent.search.num_drafts (aideml's default: 5).")
    debug_prob: float | None = Field(
        default=None, ge=0, le=1, description="agent.search.debug_prob (aideml's default: 0.5)."
    )
    exec_timeout: int = Field(
        default=600,
        gt=0,
        description="exec.timeout in seconds (aideml's default: 3600; capped at a third of the time limit).",
    )


class PlexeOptions(AgentOptions):
    venv: str | None = Field(default=None, description="plexe's venv (default: MEDALIST_PLEXE_VENV or .venv-plexe).")
    spark_cores: int = Field(default=2, ge=1, description="Cores of plexe's local Spark session.")
    spark_memory: str = Field(default="1g", description="Spark driver memory.")
    model_types: list[str] = Field(
        default_factory=lambda: ["xgboost", "lightgbm"], description="Model types plexe may train."
    )


class OpenHandsOptions(AgentOptions):
    venv: str | None = Field(
        default=None, description="OpenHands' venv (default: MEDALIST_OPENHANDS_VENV or .venv-openhands)."
    )
    native_tool_calling: bool = Field(
        default=True, description="Use the model's native tool calls (else OpenHands' prompt-based calls)."
    )
    terminal: Literal["subprocess", "tmux"] = Field(default="subprocess", description="OpenHands' terminal backend.")
    llm_timeout: int | None = Field(
        default=None, gt=0, description="Seconds one model call may take (OpenHands' default when unset)."
    )


class _AdapterAgent(GatewayAgent):
    pkg: AdapterPackage
    # External agents' own steps are not reported: the step budget (model calls) applies only to those
    # that declare ``steps_from_limits``.
    steps_from_limits = False

    def __init__(self, llm: LLMConfig, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(llm, options)
        self.venv = self.pkg.venv(getattr(self.options, "venv", None))

    def check_installed(self) -> None:
        if not (self.venv / "bin" / self.pkg.entry).is_file():
            raise MedalistError(
                f"{self.pkg.package} is not installed in {self.venv} "
                f"(set {self.pkg.venv_env} or install: {self.pkg.install_hint(self.venv)})"
            )

    def preflight(self) -> list[str]:
        self.check_installed()
        return super().preflight()

    def wrapper_argv(self, ctx: AgentContext) -> list[str]:
        raise NotImplementedError

    def argv(self, ctx: AgentContext) -> list[str]:
        return self.wrapper_argv(ctx)

    def adapter_mounts(self, ctx: AgentContext) -> list[Mount]:
        return []

    def extra_mounts(self, ctx: AgentContext) -> list[Mount]:
        return [Mount(source=self.venv, target=str(self.venv)), *self.adapter_mounts(ctx)]

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        self.check_installed()
        with super().launch(ctx) as launch:
            yield launch


class AidemlAgent(_AdapterAgent):
    id = "aideml"
    description = "The published aideml package (AIDE), run through the contract and the model gateway."
    pkg = AIDEML
    options_model = AidemlOptions

    def wrapper_argv(self, ctx: AgentContext) -> list[str]:
        args = [ctx.python, "-m", "medalist.inside.adapters.aideml_run", f"--aide={self.venv / 'bin' / 'aide'}"]
        for key in ("num_drafts", "debug_prob", "exec_timeout"):
            value = getattr(self.options, key)
            if value is not None:
                args.append(f"--{key.replace('_', '-')}={value}")
        return args


class PlexeAgent(_AdapterAgent):
    """plexe builds a model package from a training set; see ``plexe_run`` for what is still missing."""

    id = "plexe"
    description = "The published plexe package, run through the contract and the model gateway."
    pkg = PLEXE
    options_model = PlexeOptions
    CONFIG_TARGET = "/opt/medalist-plexe/config.yaml"

    def config_yaml(self) -> dict[str, Any]:
        """plexe's CONFIG_FILE: every agent role on the gateway (``${OPENAI_BASE_URL}`` is resolved by plexe)."""
        roles = (
            "statistical_analysis",
            "ml_task_analysis",
            "metric_selection",
            "dataset_splitting",
            "baseline_builder",
            "feature_processor",
            "model_definer",
            "evaluation",
            "hypothesiser",
            "planner",
            "insight_extractor",
        )
        cfg: dict[str, Any] = {f"{r}_llm": "openai/code" for r in roles}
        cfg["routing_config"] = {
            "default": {"api_base": "${OPENAI_BASE_URL}", "headers": {"Authorization": "Bearer ${OPENAI_API_KEY}"}}
        }
        # Spark within the sandbox's means; only the model types installed (tensorflow, torch are not).
        opts = self.options
        assert isinstance(opts, PlexeOptions)
        cfg["spark_local_cores"] = opts.spark_cores
        cfg["spark_driver_memory"] = opts.spark_memory
        cfg["allowed_model_types"] = list(opts.model_types)
        return cfg

    def adapter_mounts(self, ctx: AgentContext) -> list[Mount]:
        path = Path(ctx.run_dir) / "plexe_config" / "config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.config_yaml(), sort_keys=False), encoding="utf-8")
        os.chmod(path.parent, 0o755)
        os.chmod(path, 0o644)
        return [
            Mount(source=path.parent, target=str(Path(self.CONFIG_TARGET).parent)),
            *java_conf_mounts(Path(ctx.run_dir)),
        ]

    def extra_env(self, ctx: AgentContext) -> dict[str, str]:
        return {"CONFIG_FILE": self.CONFIG_TARGET, "KERAS_BACKEND": "jax"}

    def wrapper_argv(self, ctx: AgentContext) -> list[str]:
        return [ctx.python, "-m", "medalist.inside.adapters.plexe_run", f"--plexe={self.venv / 'bin' / 'plexe'}"]


class OpenHandsAgent(_AdapterAgent):
    """OpenHands' CodeActAgent (openhands-sdk) with a local workspace: its commands and file edits run in
    the sandbox itself, no Docker. See ``openhands_driver`` for how limits and the trajectory are kept."""

    id = "openhands"
    description = "OpenHands' CodeActAgent (openhands-sdk), run in the sandbox through the model gateway."
    pkg = OPENHANDS
    options_model = OpenHandsOptions
    steps_from_limits = True  # STEP_LIMIT is its max iterations; the gateway's step budget counts model calls
    calls_per_step = 2  # one action call, plus room for the context condenser's summaries

    def preflight(self) -> list[str]:
        self.check_installed()
        if not any(self.venv.glob("lib/python3.*/site-packages/openhands/sdk")):
            raise MedalistError(
                f"openhands-sdk is not installed in {self.venv} "
                f"(set {self.pkg.venv_env} or install: {self.pkg.install_hint(self.venv)})"
            )
        return super().preflight()

    def wrapper_argv(self, ctx: AgentContext) -> list[str]:
        opts = self.options
        assert isinstance(opts, OpenHandsOptions)
        args = [
            ctx.python,
            "-m",
            "medalist.inside.adapters.openhands_run",
            f"--python={self.venv / 'bin' / 'python'}",
            f"--native-tool-calling={'true' if opts.native_tool_calling else 'false'}",
            f"--terminal={opts.terminal}",
        ]
        if opts.llm_timeout is not None:
            args.append(f"--llm-timeout={opts.llm_timeout}")
        return args
