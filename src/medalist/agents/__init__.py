"""Agents: the Agent protocol, the registry, and the built-in agents (dummy, sample, automl, command)."""

from medalist.agents.base import Agent, AgentContext, AgentLaunch
from medalist.agents.builtin import AutomlAgent, DummyAgent, SampleAgent
from medalist.agents.command import CommandAgent
from medalist.agents.config import CommandAgentConfig, MountConfig, load_agents_file
from medalist.agents.registry import AgentRegistry, build_agent, with_agent_options

__all__ = [
    "Agent",
    "AgentContext",
    "AgentLaunch",
    "AgentRegistry",
    "AutomlAgent",
    "CommandAgent",
    "CommandAgentConfig",
    "DummyAgent",
    "MountConfig",
    "SampleAgent",
    "build_agent",
    "load_agents_file",
    "with_agent_options",
]
