"""LLM roles and their plumbing: backends (openai, local llama.cpp, scripted), the call
cache, token accounting, prompts rendered from `agents/prompts/`."""

from agents.llm.accounting import CallRecord, TokenLedger, collect_calls
from agents.llm.adversary import LLMAdversary
from agents.llm.backend import Backend, LLMClient
from agents.llm.cache import CallCache
from agents.llm.config import BackendConfig, LocalServerConfig
from agents.llm.critic import LLMCritic
from agents.llm.evolver import LLMEvolver
from agents.llm.judge import LLMJudge
from agents.llm.planner import LLMPlanner

__all__ = [
    "Backend",
    "BackendConfig",
    "CallCache",
    "CallRecord",
    "LLMAdversary",
    "LLMClient",
    "LLMCritic",
    "LLMEvolver",
    "LLMJudge",
    "LLMPlanner",
    "LocalServerConfig",
    "TokenLedger",
    "collect_calls",
]
