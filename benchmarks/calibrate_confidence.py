"""Fit the suggestion confidence (logistic regression on the top article's evidence) on dev ticket sets.

Usage: python benchmarks/calibrate_confidence.py ../shared/eval/dev/tickets-en --negatives ../shared/eval/dev/stackfaq
Negatives are another set's queries asked against the first set's corpus: nothing there answers them, so the
model also learns when to abstain.
Prints the fitted coefficients (to copy into kb/suggest.py CALIBRATION), and the calibration on a held-out
half: mean predicted confidence vs observed top-1 accuracy per bin, and the expected calibration error.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.config import load_settings
from kb.evaluation import build_workspace, load_dataset
from kb.suggest import features
from kb.ticket_cleaning import clean_ticket


def collect(folder: Path, negatives: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features of the top suggestion and whether it was relevant, per query (negatives never are)."""
    dataset = load_dataset(folder)
    extra = load_dataset(negatives).queries[: len(dataset.queries) // 3] if negatives else []
    base = load_settings()
    base = base.with_overrides(cache_dir=base.cache_dir or Path.home() / ".cache" / "kb")
    rows, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        kb, doc_ids = build_workspace(dataset, base, Path(tmp))
        for q in dataset.queries:
            response = kb.suggester.rank(clean_ticket(q["text"]), limit=1)
            if not response.article_ranking:
                continue
            rows.append(features(response, 0))
            labels.append(doc_ids[response.article_ranking[0]] in dataset.qrels[q["_id"]])
        for q in extra:
            response = kb.suggester.rank(clean_ticket(q["text"]), limit=1)
            if response.article_ranking:
                rows.append(features(response, 0))
                labels.append(False)
        kb.close()
    return np.array(rows), np.array(labels, dtype=float)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 500) -> np.ndarray:
    """Logistic regression by Newton's method; returns [bias, weights…]."""
    x1 = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x1 @ w))
        grad = x1.T @ (p - y) + l2 * w
        hess = (x1.T * (p * (1 - p))) @ x1 + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def report(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Reliability table and ECE on held-out data."""
    p = 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))
    edges, ece = np.linspace(0, 1, 6), 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (p >= lo) & (p < hi if hi < 1 else p <= hi)
        if mask.any():
            ece += mask.mean() * abs(p[mask].mean() - y[mask].mean())
            print(f"  confidence {lo:.1f}-{hi:.1f}: n={mask.sum():4d} "
                  f"predicted {p[mask].mean():.3f} observed {y[mask].mean():.3f}")
    print(f"  expected calibration error {ece:.3f}; top-1 accuracy {y.mean():.3f}")


def main() -> None:
    args = sys.argv[1:]
    negatives = Path(args[args.index("--negatives") + 1]) if "--negatives" in args else None
    x, y = collect(Path(args[0]), negatives)
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[: len(y) // 2], order[len(y) // 2:]
    w = fit(x[train], y[train])
    print("held-out calibration:")
    report(w, x[test], y[test])
    w = fit(x, y)
    print("CALIBRATION =", {"bias": round(w[0], 3), "weights": [round(v, 3) for v in w[1:]]})


if __name__ == "__main__":
    main()
