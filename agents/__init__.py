"""agents: the planner, realism critic, detector adversary, evolver and judge roles.

Filled by the agents issue; each role is one async class behind a small interface, in an
LLM and a procedural implementation.
"""
