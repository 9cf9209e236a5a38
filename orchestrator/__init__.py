"""orchestrator: run config, Ray actors, the debate graph, tournament, QD archive, run store and the CLI."""
