"""The search commands end to end on the fake embedder: reindex, eval (JSON contract) and bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from kb.config import load_settings
from kb.evaluation import build_workspace, dcg, load_dataset, score_run

CORPUS = [
    {"_id": "d1", "title": "Reset your password", "text": "Open the login page and click Forgot password."},
    {"_id": "d2", "title": "Cash drawer does not open", "text": "Check the RJ12 cable between printer and drawer."},
    {"_id": "d3", "title": "Export invoices", "text": "Download every invoice as a CSV file from Billing."},
]
QUERIES = [{"_id": "q1", "text": "forgot my password"}, {"_id": "q2", "text": "drawer stays shut"},
           {"_id": "q3", "text": "invoice csv download"}]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in CORPUS))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in QUERIES))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n")
    (folder / "meta.json").write_text('{"lang": "en"}')
    return folder


def test_eval_prints_one_json_object_per_mode(cli_env: Path, dataset: Path, capsys) -> None:
    assert main(["eval", str(dataset), "--json", "--model", "fake"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["mode"] for r in rows] == ["hybrid", "keyword", "semantic"]
    for row in rows:
        assert {"mode", "queries", "ndcg@10", "recall@10", "recall@100", "mrr@10", "p50_ms", "p95_ms"} <= set(row)
        assert row["queries"] == 3 and row["p95_ms"] >= row["p50_ms"] >= 0
    assert rows[1]["ndcg@10"] == 1.0  # every keyword query finds its document first
    assert not (cli_env / "cli.sqlite").exists()  # the user's database is never touched


def test_eval_through_the_suggestion_path(cli_env: Path, dataset: Path, capsys) -> None:
    assert main(["eval", str(dataset), "--json", "--model", "fake", "--path", "suggest"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["mode"], row["path"]) == ("hybrid", "suggest") and row["recall@10"] == 1.0


def test_a_document_may_name_its_own_language(cli_env: Path, dataset: Path, tmp_path: Path) -> None:
    corpus = dataset / "corpus.jsonl"
    corpus.write_text(corpus.read_text() + "\n" + json.dumps(
        {"_id": "d4", "title": "Nulstil din adgangskode", "text": "Klik på Glemt adgangskode.", "language": "da"}))
    kb, doc_ids = build_workspace(load_dataset(dataset), load_settings(), tmp_path / "workspace")
    try:
        languages = {doc_ids[a]: m.language for a, m in kb.indexes.articles.items()}
        assert languages == {"d1": "en", "d2": "en", "d3": "en", "d4": "da"}  # the set's language, else its own
    finally:
        kb.close()


def test_metrics() -> None:
    assert score_run(["a", "b"], {"b"}) == pytest.approx(
        {"ndcg@10": 1 / dcg([1]) * dcg([0, 1]), "recall@10": 1.0, "recall@100": 1.0, "mrr@10": 0.5})
    assert score_run(["x"], {"b"})["mrr@10"] == 0.0


def test_reindex_swaps_in_a_new_build(cli_env: Path, capsys) -> None:
    source = cli_env / "in"
    source.mkdir()
    (source / "zapier.md").write_text("---\ntitle: Zapier zaps do not trigger\nstatus: published\n---\n\nWebhook.\n")
    assert main(["import", str(source)]) == 0
    first = (cli_env / "index" / "current").resolve().name
    assert main(["reindex"]) == 0
    out = capsys.readouterr().out
    assert "1 articles" in out and (cli_env / "index" / "current").resolve().name != first


def test_bench_prints_every_figure(cli_env: Path, capsys) -> None:
    assert main(["bench", "--articles", "30", "--queries", "10", "--model", "fake", "--log-rows", "2000"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    metrics = {r["metric"] for r in rows}
    assert {"model_passages_per_s", "import", "index_build", "reindex", "search", "suggest", "page",
            "edit_to_searchable", "index_size", "peak_rss"} <= metrics
    assert {r["page"] for r in rows if r["metric"] == "page"} == {"article", "search", "history", "editor", "articles",
                                                                  "analytics", "analytics_gaps"}
    assert {"search_logging_overhead", "query_log_insert", "query_log_fill", "popular_searches"} <= metrics
    search = [r for r in rows if r["metric"] == "search"]
    assert {r["mode"] for r in search} == {"keyword", "semantic", "hybrid"}
    assert all(r["articles"] == 30 and r["p95_ms"] >= r["p50_ms"] > 0 for r in search)


def test_bench_times_questions_in_another_language_when_dictionaries_are_installed(cli_env: Path, capsys,
                                                                                  monkeypatch) -> None:
    from test_translation import DANISH, write_dictd

    write_dictd(cli_env / "dictd", "dan", DANISH)
    monkeypatch.setenv("KB_DICTIONARY_DIR", str(cli_env / "dictd"))
    assert main(["bench", "--articles", "20", "--queries", "5", "--model", "fake", "--log-rows", "0"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (translated,) = [r for r in rows if r["metric"] == "search_translated"]
    assert translated["languages"] == ["da"] and translated["p95_ms"] >= translated["p50_ms"] > 0
    monkeypatch.setenv("KB_DICTIONARY_DIR", "off")
    assert main(["bench", "--articles", "20", "--queries", "5", "--model", "fake", "--log-rows", "0"]) == 0
    assert "search_translated" not in capsys.readouterr().out
