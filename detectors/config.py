"""Configuration of a GNN detector (every field described), and the named presets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GNNConfig(BaseModel):
    """Architecture, Multi-GNN options and training schedule of one GNN detector."""

    model_config = ConfigDict(extra="forbid")

    arch: Literal["gcn", "sage", "gat", "gine", "pna"] = Field(description="Convolution type.")
    hidden: int = Field(64, ge=4, le=1024, description="Width of node and edge states.")
    layers: int = Field(2, ge=1, le=6, description="Message-passing layers (= hops of context).")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout after every layer.")
    reverse_mp: bool = Field(False, description="Multi-GNN reverse message passing: a second "
                             "convolution over reversed edges, so accounts see whom they pay.")
    ports: bool = Field(False, description="Multi-GNN port numbering as two extra edge features.")
    ego_ids: bool = Field(False, description="Multi-GNN ego IDs: flag the endpoints of the edges "
                          "being classified; needs sampled training and batched scoring.")
    edge_updates: bool = Field(False, description="Multi-GNN edge updates: refresh edge states "
                               "from their endpoints after every layer.")
    epochs: int = Field(200, ge=1, description="Maximum training epochs.")
    patience: int = Field(30, ge=1, description="Stop after this many epochs without a better "
                          "validation F1.")
    eval_every: int = Field(2, ge=1, description="Evaluate on validation every this many epochs.")
    lr: float = Field(2e-3, gt=0, description="Adam learning rate.")
    weight_decay: float = Field(0.0, ge=0, description="Adam weight decay.")
    pos_weight: float | None = Field(None, gt=0, description="Weight of the positive class in the "
                                     "loss; empty means sqrt(negatives / positives).")
    sampled: bool = Field(False, description="Neighbour-sampled mini-batch training instead of "
                          "full-graph epochs (for graphs too large for memory, or ego IDs).")
    sample_above: int = Field(2_000_000, ge=0, description="Train with sampled mini-batches "
                              "whenever the training graph has more edges than this (0: only "
                              "when sampled = true), so that training memory beyond the graph "
                              "stays bounded on big Worlds; with ego IDs, graphs above it are "
                              "also scored from sampled neighbourhoods.")
    fanouts: list[int] = Field([15, 10], description="Neighbours sampled per hop (sampled training); "
                               "the last repeats when layers outnumber them.")
    batch_size: int = Field(2048, ge=16, description="Seed edges per mini-batch (sampled "
                            "training) or per scoring batch (ego IDs).")
    seed: int = Field(0, ge=0, description="Seed of initialisation, sampling and shuffling.")

    @model_validator(mode="after")
    def _check(self) -> GNNConfig:
        if self.ego_ids and not self.sampled:
            raise ValueError("ego_ids needs sampled = true (full-graph training flags every node)")
        if self.sampled and len(self.fanouts) != self.layers:
            raise ValueError(f"fanouts needs one entry per layer ({self.layers})")
        return self

    def samples(self, n_edges: int) -> bool:
        """Whether training on a graph of ``n_edges`` edges uses sampled mini-batches."""
        return self.sampled or (self.sample_above > 0 and n_edges > self.sample_above)

    def hop_fanouts(self) -> list[int]:
        return (self.fanouts + [self.fanouts[-1]] * self.layers)[: self.layers]


# Sampled epochs cost several full-graph epochs, so the Multi-GNN presets train fewer.
MULTI = {"reverse_mp": True, "ports": True, "ego_ids": True, "edge_updates": True,
         "sampled": True, "epochs": 40, "patience": 10, "batch_size": 8192, "fanouts": [10, 5]}

PRESETS: dict[str, dict] = {
    "gcn": {"arch": "gcn"},
    "sage": {"arch": "sage"},
    "gat": {"arch": "gat"},
    # GINe keeps a state per edge: width 32 keeps a 5M-edge epoch under 5 s, at equal F1.
    "gine": {"arch": "gine", "hidden": 32},
    "pna": {"arch": "pna"},
    "multi-gine": {"arch": "gine", **MULTI},
    "multi-pna": {"arch": "pna", **MULTI},
}
