"""`redledger serve`: a live web workspace over one run directory (see `create_app`)."""

from orchestrator.web.app import create_app

__all__ = ["create_app"]
