"""GNN edge classifiers, one short file each, registered by name."""

from detectors.models import gat, gcn, gine, pna, sage

BUILDERS = {"gcn": gcn.build, "sage": sage.build, "gat": gat.build, "gine": gine.build, "pna": pna.build}

__all__ = ["BUILDERS"]
