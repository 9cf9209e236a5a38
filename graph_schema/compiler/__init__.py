"""The scenario compiler: DSL document + World + seed -> labelled ledger rows."""

from graph_schema.compiler.core import (
    CompiledScenario,
    compile_scenario,
    compile_those_that_fit,
    parse_scenario,
)

compile = compile_scenario  # noqa: A001 - the contract's name: graph_schema.compile(scenario, world, seed)

__all__ = ["CompiledScenario", "compile", "compile_scenario", "compile_those_that_fit", "parse_scenario"]
