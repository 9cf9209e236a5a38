"""Training and scoring loops for the GNN detectors (separate from the model files).

Full-graph training runs one forward pass per epoch over the training graph. Sampled
training (asked for, or automatic above ``sample_above`` edges) draws mini-batches of seed
edges, samples a neighbourhood subgraph around their endpoints (both directions with
reverse message passing) and learns on the seeds only; validation then scores sampled
batches too, so training memory beyond the graph depends on the batch, not the graph.
Early stopping keeps the weights with the best validation F1.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from detectors._dgl import dgl
from detectors.config import GNNConfig
from detectors.graph import GraphData, context
from detectors.metrics import best_threshold

Progress = Callable[[int, int, float], None]  # (epoch, epochs, best validation F1)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    dgl.seed(seed)


def with_ego(x: torch.Tensor, flag: torch.Tensor | None) -> torch.Tensor:
    """Append the ego-ID column (zeros when no flag is given)."""
    col = torch.zeros(len(x), 1) if flag is None else flag.float().unsqueeze(1)
    return torch.cat([x, col], dim=1)


def _inputs(cfg: GNNConfig, x: torch.Tensor, flag: torch.Tensor | None = None) -> torch.Tensor:
    return with_ego(x, flag) if cfg.ego_ids else x


def score_edges(model: nn.Module, cfg: GNNConfig, gd: GraphData, eids: torch.Tensor) -> torch.Tensor:
    """Exact scores (probabilities) of edges ``eids`` on the graph of ``gd``.

    The model runs on the edges' `context`, which holds everything their scores depend on;
    with ego IDs, exactly those endpoints are flagged.
    """
    g = gd.g
    src, dst = g.find_edges(eids)
    ends = torch.unique(torch.cat([src, dst]))
    nodes, parent = context(g, ends, cfg.layers)
    a, b = g.find_edges(parent)
    sg = dgl.graph((torch.searchsorted(nodes, a), torch.searchsorted(nodes, b)), num_nodes=len(nodes))
    for k in ("deg_in", "deg_out"):
        sg.ndata[k] = g.ndata[k][nodes]
    flag = torch.zeros(len(nodes), dtype=torch.bool)
    flag[torch.searchsorted(nodes, ends)] = True
    only = torch.searchsorted(parent, eids)
    return torch.sigmoid(model(sg, (_inputs(cfg, gd.node_x[nodes], flag), gd.edge_x[parent]), only=only))


@torch.no_grad()
def predict(model: nn.Module, cfg: GNNConfig, gd: GraphData, eids: torch.Tensor | None = None) -> np.ndarray:
    """Scores of ``eids`` (default: every edge) in eval mode: full-graph, or with ego IDs exact
    per batch (`score_edges`), or sampled (`predict_sampled`) on graphs above ``sample_above``."""
    model.eval()
    if eids is None:
        eids = torch.arange(gd.g.num_edges())
    if not cfg.ego_ids:
        logits = model(gd.g, (gd.node_x, gd.edge_x))
        return torch.sigmoid(logits[eids]).numpy()
    if cfg.sample_above and gd.g.num_edges() > cfg.sample_above:
        # exact contexts of a batch reach most of a hub-heavy graph of millions of edges (the
        # Multi-GNN preset outgrew 24 GB on 5M); score from the training fanouts instead, as
        # Multi-GNN does, from a fixed sampling stream so one model gives one set of scores
        dgl.seed(cfg.seed)
        return predict_sampled(model, cfg, gd, eids)
    out = [score_edges(model, cfg, gd, eids[i:i + cfg.batch_size])
           for i in range(0, len(eids), cfg.batch_size)]
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def sample_batch(cfg: GNNConfig, gd: GraphData, seeds: torch.Tensor):
    """A sampled subgraph around the seed edges: (subgraph, node inputs, edge inputs, seed
    positions, parent edge ids). Its size depends on the batch and the fanouts only: no
    array of the whole graph's size is allocated."""
    g = gd.g
    src, dst = g.find_edges(seeds)
    ends = torch.unique(torch.cat([src, dst]))
    eids, frontier, seen = [seeds], ends, ends
    for fanout in reversed(cfg.hop_fanouts()):
        dirs = ["in", "out"] if cfg.reverse_mp else ["in"]
        new = []
        for d in dirs:
            fr = dgl.sampling.sample_neighbors(g, frontier, fanout, edge_dir=d)
            eids.append(fr.edata[dgl.EID])
            s, t = fr.edges()
            new.append(s if d == "in" else t)
        nxt = torch.unique(torch.cat(new))
        frontier = nxt[~torch.isin(nxt, seen)]
        seen = torch.cat([seen, frontier]).sort().values
    sg = dgl.edge_subgraph(g, torch.unique(torch.cat(eids)))
    nodes, parent = sg.ndata[dgl.NID], sg.edata[dgl.EID]
    flag = torch.isin(nodes, ends)
    return sg, _inputs(cfg, gd.node_x[nodes], flag), gd.edge_x[parent], torch.isin(parent, seeds), parent


@torch.no_grad()
def predict_sampled(model: nn.Module, cfg: GNNConfig, gd: GraphData, eids: torch.Tensor) -> np.ndarray:
    """Scores of ``eids`` from sampled neighbourhoods, a batch at a time (bounded memory;
    the sampler's random stream makes them approximate, which early stopping tolerates)."""
    model.eval()
    out = []
    for i in range(0, len(eids), cfg.batch_size):
        batch = eids[i:i + cfg.batch_size]
        sg, x, e, _, parent = sample_batch(cfg, gd, batch)
        logits = model(sg, (x, e))
        out.append(torch.sigmoid(logits[torch.searchsorted(parent, batch)]))
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def fit_gnn(model: nn.Module, cfg: GNNConfig, train: GraphData, val: GraphData,
            val_eids: torch.Tensor, progress: Progress | None = None) -> tuple[float, dict]:
    """Train with a class-weighted loss and early stopping on validation F1.

    Returns the decision threshold chosen on validation and a history dict; the model is
    left holding the best weights.
    """
    seed_everything(cfg.seed)
    y = train.y
    pos = float(y.sum())
    weight = cfg.pos_weight or float(np.sqrt(max(len(y) - pos, 1.0) / max(pos, 1.0)))
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weight))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best = (-1.0, 0.5, copy.deepcopy(model.state_dict()), 0)
    history = {"epoch": [], "loss": [], "val_f1": []}
    gen = torch.Generator().manual_seed(cfg.seed)
    y_val = val.y[val_eids].numpy()
    sampled = cfg.samples(train.g.num_edges())
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        if sampled:
            order = torch.randperm(train.g.num_edges(), generator=gen)
            total = 0.0
            for i in range(0, len(order), cfg.batch_size):
                sg, x, e, seed_mask, parent = sample_batch(cfg, train, order[i:i + cfg.batch_size])
                logits = model(sg, (x, e))
                loss = loss_fn(logits[seed_mask], y[parent][seed_mask])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * int(seed_mask.sum())
            epoch_loss = total / max(len(order), 1)
        else:
            logits = model(train.g, (_inputs(cfg, train.node_x), train.edge_x))
            loss = loss_fn(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss = loss.item()
        if epoch % cfg.eval_every and epoch != cfg.epochs:
            continue
        scores = predict_sampled(model, cfg, val, val_eids) if sampled and not cfg.ego_ids \
            else predict(model, cfg, val, val_eids)
        thr, f1 = best_threshold(y_val, scores)
        history["epoch"].append(epoch)
        history["loss"].append(epoch_loss)
        history["val_f1"].append(f1)
        if f1 > best[0]:
            best = (f1, thr, copy.deepcopy(model.state_dict()), epoch)
        if progress:
            progress(epoch, cfg.epochs, best[0])
        if epoch - best[3] >= cfg.patience:
            break
    model.load_state_dict(best[2])
    history["sampled"] = sampled
    history["best_epoch"] = best[3]
    history["best_val_f1"] = best[0]
    return best[1], history
