"""`python -m orchestrator.cli` is `redledger`."""

from orchestrator.cli import main

main()
