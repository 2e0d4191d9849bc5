"""The command line: import and export through `python -m kb`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.cli import cli_actor, main
from kb.config import load_settings
from kb.knowledge_base import open_knowledge_base

FILE = "---\ntitle: Zapier zaps do not trigger\nstatus: published\nlanguage: en\n---\n\nCheck the webhook.\n"


@pytest.fixture
def env(cli_env: Path) -> Path:
    return cli_env


def test_import_then_export(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = env / "in"
    source.mkdir()
    (source / "zapier-zaps-do-not-trigger.md").write_text(FILE)
    assert main(["import", str(source)]) == 0
    assert "1 created" in capsys.readouterr().out
    assert main(["import", str(source)]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    kb = open_knowledge_base(load_settings(), with_search=False)
    try:  # who ran the import answers for it in the history and the audit log, not a made-up "import"
        assert kb.store.revisions("zapier-zaps-do-not-trigger")[0].author == cli_actor()
    finally:
        kb.close()
    assert main(["export", str(env / "out")]) == 0
    exported = (env / "out" / "zapier-zaps-do-not-trigger.md").read_text()
    assert "title: Zapier zaps do not trigger" in exported and exported.endswith("Check the webhook.\n")
    kb = open_knowledge_base(load_settings(), with_search=False)
    try:
        from kb.permissions import Principal

        kb.editing.purge(Principal("root", "admin"), "zapier-zaps-do-not-trigger")
    finally:
        kb.close()
    (env / "out" / "new-idea.md").write_text("---\ntitle: New idea\n---\n\nNot imported yet.\n")
    capsys.readouterr()
    assert main(["export", str(env / "out")]) == 0
    err = capsys.readouterr().err
    assert "zapier-zaps-do-not-trigger.md; the next import brings them back (--prune deletes them)" in err
    assert "never had (new, or refused by an import), left as they are: new-idea.md" in err
    assert main(["export", "--prune", str(env / "out")]) == 0
    assert "deleted 1 file(s) of purged articles" in capsys.readouterr().out
    assert sorted(p.name for p in (env / "out").iterdir()) == ["new-idea.md"]


def test_import_of_a_missing_folder_fails_clearly(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(env / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_app_module_builds_the_app_from_the_environment(env: Path) -> None:
    import importlib

    import app as app_module

    application = importlib.reload(app_module).app
    assert application.test_client().get("/healthz").status_code == 200
    assert (env / "instance" / "secret_key").exists()


def test_export_onto_a_file_fails_clearly(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "afile").write_text("x")
    assert main(["export", str(env / "afile")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["purge-logs", "--days", "-5"], ["purge-logs", "--days", "99999999999"], ["bench", "--articles", "0"],
    ["bench", "--queries", "0"], ["analytics-drift", "--days", "x"],
])
def test_out_of_range_numbers_are_refused_before_anything_runs(env: Path, argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and "error:" in capsys.readouterr().err


def test_commands_on_missing_or_unwritable_paths_say_so_without_a_traceback(env: Path, capsys) -> None:
    assert main(["eval", str(env / "nope")]) == 2
    assert "is not a BEIR folder" in capsys.readouterr().err
    (env / "file").write_text("x")
    assert main(["export", str(env / "file" / "out")]) == 1  # a file where a folder should be
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_account_commands_check_names_and_variables_first(env: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("KB_NO_SUCH_VAR", raising=False)
    assert main(["create-user", "erin", "--role", "reader", "--password-env", "KB_NO_SUCH_VAR"]) == 2
    assert "KB_NO_SUCH_VAR is not set" in capsys.readouterr().err
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a password for nobody"))
    assert main(["set-password", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
    assert main(["create-token", "--name", "zendesk", "--scope", "suggest"]) == 0
    capsys.readouterr()
    assert main(["revoke-token", "1"]) == 0 and "revoked token 1" in capsys.readouterr().out
    assert main(["revoke-token", "1"]) == 0 and "already revoked" in capsys.readouterr().out


def test_a_database_folder_that_cannot_be_written_is_named(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "kb.sqlite").mkdir()  # something SQLite cannot open as its file, whoever runs the test
    monkeypatch.setenv("KB_INSTANCE_DIR", str(folder))
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{folder / 'kb.sqlite'}")
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "fake")
    assert main(["list-users"]) == 1
    err = capsys.readouterr().err
    assert f"cannot open or write the database {folder / 'kb.sqlite'}" in err and "Traceback" not in err


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("KB_EMBEDDING_MODEL", "nope", "unknown embedder 'nope'"),
    ("KB_DATABASE_URL", "bogus://x", "KB_DATABASE_URL 'bogus://x' is not a usable database URL"),
    ("KB_DATABASE_URL", "mysql://kb@localhost/kb", "is not a usable database URL"),  # no driver installed
    ("KB_DATABASE_URL", "postgresql+psycopg://kb:secret@localhost:notaport/kb", "is not a usable database URL"),
    ("KB_DATABASE_URL", "postgresql+psycopg://kb:secret@127.0.0.1:9/kb", "cannot reach the database"),
    ("KB_MAX_BODY_BYTES", "abc", "KB_MAX_BODY_BYTES must be a whole number, not 'abc'"),
    ("KB_TRUSTED_PROXIES", "proxy.internal", "'proxy.internal' is not an IP address"),
])
def test_a_bad_setting_is_one_error_line(env: Path, capsys, monkeypatch, variable: str, value: str,
                                         named: str) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("KB_DATABASE_WAIT_SECONDS", "0")  # an unreachable server: say so at once
    source = env / "in"
    source.mkdir()
    assert main(["import", str(source)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and named in err and "Traceback" not in err and "secret" not in err


def test_a_password_prompt_on_a_closed_stdin_is_one_error_line(env: Path, capsys, monkeypatch) -> None:
    assert main(["create-user", "erin", "--role", "reader", "--generate-password"]) == 0
    capsys.readouterr()

    def closed(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", closed)
    assert main(["set-password", "erin"]) == 1
    assert "no input" in capsys.readouterr().err


def test_reindex_for_another_model_builds_once_and_keeps_the_running_build(env: Path, capsys, monkeypatch) -> None:
    worker = open_knowledge_base(load_settings())  # a worker still running the old model (fake, 64 dimensions)
    try:
        worker.store.create({"title": "Before", "body": "zzbefore", "status": "published"}, author="alice")
        old_build = worker.indexes.manifest.build_id
        monkeypatch.setenv("KB_EMBEDDING_MODEL", "fake-32")
        assert main(["reindex"]) == 0
        assert "model fake-32" in capsys.readouterr().out
        builds = sorted(p.name for p in (env / "index").glob("build-*"))
        assert len(builds) == 2 and old_build in builds  # one new build; the worker's is kept
        worker.store.create({"title": "After", "body": "zzafter", "status": "published"}, author="alice")
        worker.indexes.sync(force=True)
        # The worker cannot load the new model's build; it keeps answering, keyword search included.
        assert "stale" in worker.health()["index"]["state"]
        assert [r.title for r in worker.search.search("zzafter", mode="keyword").results] == ["After"]
        assert main(["reindex"]) == 0  # a usable build: reindex builds a fresh one
        assert capsys.readouterr().out.split(":")[0] not in {f"index {b}" for b in builds}
    finally:
        worker.close()
