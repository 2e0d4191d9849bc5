"""Command line: python -m kb <command>."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kb.config import load_settings
from kb.content_io import export_directory, import_directory
from kb.embedding_base import EmbedderUnavailable
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase, enable_search, open_knowledge_base

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] = lambda p: None
) -> Callable[[Command], Command]:
    """Register a sub-command."""
    def register(func: Command) -> Command:
        COMMANDS[name] = (func, configure, help_text)
        return func
    return register


def bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high (argparse then says what was wrong, exit 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low:,} and {high:,}")
        return value
    return parse


def cli_actor() -> str:
    """Who ran this command, for the audit log: the operating-system user."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry in some containers
        return "cli:unknown"


def _open(with_search: bool = True) -> KnowledgeBase:
    settings = load_settings().with_overrides(auto_import=False)
    return open_knowledge_base(settings, with_search=with_search)


@command("init-db", "create or upgrade the database schema (Alembic migrations)")
def cmd_init_db(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    print(f"database ready: {kb.db.url.split('@')[-1]} ({kb.db.article_count()} articles)")
    kb.close()
    return 0


def _dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="folder of Markdown files with front matter")


@command("import", "load Markdown files (idempotent: changed files become new revisions)", _dir_arg)
def cmd_import(args: argparse.Namespace) -> int:
    if not args.directory.is_dir():
        print(f"error: {args.directory} is not a folder", file=sys.stderr)
        return 2
    kb = _open()
    report = import_directory(kb.store, args.directory, author=cli_actor())
    for name, message in report.errors:
        print(f"error: {name}: {message}", file=sys.stderr)
    print(report.summary())
    kb.close()
    return 1 if report.errors else 0


def _export_args(parser: argparse.ArgumentParser) -> None:
    _dir_arg(parser)
    parser.add_argument("--prune", action="store_true",
                        help="delete the files of purged articles (files of articles never imported are kept)")


@command("export", "write every article to DIR as <slug>.md (or the file that already holds it)", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    if args.directory.exists() and not args.directory.is_dir():
        print(f"error: {args.directory} is a file, not a folder", file=sys.stderr)
        return 2
    kb = _open(with_search=False)
    report = export_directory(kb.store, args.directory, prune=args.prune)
    print(f"{len(report.written)} articles written to {args.directory}")
    if report.purged:
        names = ", ".join(p.name for p in report.purged)
        if args.prune:
            print(f"deleted {len(report.purged)} file(s) of purged articles: {names}")
        else:
            print(f"warning: {len(report.purged)} file(s) hold purged articles: {names}; the next import brings "
                  "them back (--prune deletes them)", file=sys.stderr)
    if report.unknown:
        print(f"note: {len(report.unknown)} file(s) hold articles the database never had (new, or refused by an "
              f"import), left as they are: {', '.join(p.name for p in report.unknown)}", file=sys.stderr)
    kb.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with every registered command."""
    parser = argparse.ArgumentParser(prog="python -m kb", description="Support knowledge base")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, configure, help_text) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        configure(child)
        child.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (OSError, KBError, EmbedderUnavailable) as exc:  # a folder not there or not writable, a bad setting
        print(f"error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    except EOFError:  # a password prompt read from a closed stdin
        print("error: no input: give it on a terminal, or use --password-env", file=sys.stderr)
        return 1


def _eval_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv")
    parser.add_argument("--mode", default="all", choices=["hybrid", "keyword", "semantic", "all"])
    parser.add_argument("--json", action="store_true", help="one JSON object per mode, one a line")
    parser.add_argument("--model", help="embedding model for this run (default: KB_EMBEDDING_MODEL)")
    parser.add_argument("--path", default="search", choices=["search", "suggest"],
                        help="send queries through search, or as tickets through the suggestion path")


def _progress_bar(enabled: bool):  # noqa: ANN202
    """tqdm on a terminal, nothing in pipes and CI logs."""
    if not enabled:
        return None
    from tqdm import tqdm

    def factory(mode: str, total: int) -> Callable[[], None]:
        bar = tqdm(total=total, desc=mode, file=sys.stderr, leave=False)
        return lambda: bar.update(1)
    return factory


@command("eval", "measure search quality on a BEIR-format folder (throw-away workspace)", _eval_args)
def cmd_eval(args: argparse.Namespace) -> int:
    from kb.evaluation import ALL_MODES, run_eval, search_ranker, suggest_ranker

    if not (args.dataset / "corpus.jsonl").is_file():
        print(f"error: {args.dataset} is not a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)",
              file=sys.stderr)
        return 2
    settings = load_settings()
    cache = settings.cache_dir or Path.home() / ".cache" / "kb"
    settings = settings.with_overrides(cache_dir=cache, embedding_model=args.model or settings.embedding_model)
    modes = ALL_MODES if args.mode == "all" else [args.mode]
    if args.path == "suggest":
        modes = ["hybrid"]  # a suggestion always uses both engines
    ranker = suggest_ranker if args.path == "suggest" else search_ranker
    rows = run_eval(args.dataset, settings, modes, ranker, _progress_bar(sys.stderr.isatty()))
    for row in rows:
        row["model"] = settings.embedding_model
        row["path"] = args.path
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{row['dataset']:<14} {row['mode']:<9} nDCG@10 {row['ndcg@10']:.4f}  R@10 {row['recall@10']:.4f}  "
                  f"R@100 {row['recall@100']:.4f}  MRR@10 {row['mrr@10']:.4f}  "
                  f"p50 {row['p50_ms']:.1f} ms  p95 {row['p95_ms']:.1f} ms  ({row['queries']} queries)")
    return 0


@command("reindex", "rebuild both indexes into a new folder and swap it in atomically")
def cmd_reindex(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="embedding", unit="chunk", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    started = time.perf_counter()
    enable_search(kb, progress)
    # With no usable build (or one made for another model) opening has just built one: a second build would
    # double the wait and delete the build that workers still running the old model answer from.
    manifest = kb.indexes.manifest if kb.indexes.built_on_open else None
    manifest = manifest or kb.indexes.reindex(progress)
    if bar is not None:
        bar.close()
    print(f"index {manifest.build_id}: {manifest.articles} articles, {manifest.chunks} chunks, model "
          f"{manifest.model}, generation {manifest.generation}, {time.perf_counter() - started:.1f} s")
    kb.close()
    return 0


def _bench_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=bounded(10, 1_000_000), default=10_000, help="size of the synthetic base")
    parser.add_argument("--queries", type=bounded(1, 100_000), default=300, help="queries per search mode")
    parser.add_argument("--model", help="embedding model (default: KB_EMBEDDING_MODEL)")
    parser.add_argument("--log-rows", type=bounded(0, 100_000_000), default=1_000_000,
                        help="logged queries behind the analytics page figures (0: skip them)")


@command("lemmas", "build the dictionary forms used to translate questions (once per machine, kb/lemmas.py)")
def cmd_lemmas(args: argparse.Namespace) -> int:
    from kb.lemmas import build_tries, trie_folder
    from kb.translation import QueryTranslator

    settings = load_settings()
    if settings.dictionary_dir is None or settings.lemma_dir is None:
        print("query translation is off (KB_DICTIONARY_DIR): nothing to build")
        return 0
    started = time.perf_counter()
    ready = build_tries(trie_folder(settings.lemma_dir), QueryTranslator(settings.dictionary_dir).languages)
    print(f"dictionary forms ready for {', '.join(ready) or 'no installed language'} "
          f"in {time.perf_counter() - started:.1f} s ({trie_folder(settings.lemma_dir)})")
    return 0


@command("bench", "build a synthetic base and print speed figures as JSON lines", _bench_args)
def cmd_bench(args: argparse.Namespace) -> int:
    from kb.bench import emit_json, run_bench

    settings = load_settings()
    settings = settings.with_overrides(embedding_model=args.model or settings.embedding_model)
    run_bench(settings, args.articles, args.queries, emit_json, log_rows=args.log_rows)
    return 0


from kb import cli_accounts, cli_analytics, cli_tokens  # noqa: E402,F401 - these register their commands
