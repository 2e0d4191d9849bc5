"""Two real processes on one database and index folder: a save in one is searchable in the other within 2 s."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from kb.config import PROJECT_ROOT

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from kb.config import Settings
    from kb.knowledge_base import open_knowledge_base
    settings = Settings(**{**json.loads(sys.argv[1]), "index_dir": Path(json.loads(sys.argv[1])["index_dir"])})
    kb = open_knowledge_base(settings)
    print("ready", flush=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(r.title == "Barcode scanner beeps twice" for r in kb.search.search("barcode scanner beeps").results):
            print("found", time.time(), flush=True)
            break
        time.sleep(0.05)
    kb.close()
""")


def test_a_save_in_one_process_is_searchable_in_another(searchable_kb, settings) -> None:
    config = {"database_url": settings.database_url, "index_dir": str(settings.index_dir),
              "content_dir": str(settings.content_dir), "instance_dir": str(settings.instance_dir),
              "secret_key": "x", "embedding_model": "fake", "auto_import": False}
    with subprocess.Popen([sys.executable, "-c", READER, json.dumps(config)], cwd=PROJECT_ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as reader:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready", reader.stderr.read() if reader.stderr else ""
        saved_at = time.time()
        searchable_kb.store.create({"title": "Barcode scanner beeps twice", "body": "Scanner config",
                                    "status": "published"}, author="x")
        line = reader.stdout.readline().split()
        assert line and line[0] == "found", reader.stderr.read() if reader.stderr else ""
        assert float(line[1]) - saved_at < 2.0
        reader.wait(timeout=30)
