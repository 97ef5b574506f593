"""Everything that runs inside the sandbox: the built-in agents' programs, the LLM agents' loops, the
adapters' wrappers, the gateway forwarder and ``validate_submission``, plus the agent contract they share.

These modules import the standard library, numpy/pandas (and the ML libraries an agent uses), the
contract and each other; never the harness (runner, sandbox, agents, llm, ...), so a program in the
sandbox loads only what it runs. ``tests/inside/test_isolation.py`` checks it for every entry point.
"""
