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
