"""Analytics commands: purge the query log after the retention period, flag drifting articles."""

from __future__ import annotations

import argparse

from kb.analytics import default_window
from kb.cli import _open, bounded, command


def _purge_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=bounded(1, 36_500),
                        help="keep this many days (default: KB_QUERY_LOG_RETENTION_DAYS)")


@command("purge-logs", "delete logged searches and suggestions older than the retention period", _purge_args)
def cmd_purge_logs(args: argparse.Namespace) -> int:
    """Run the retention purge (schedule it daily, e.g. from cron)."""
    kb = _open(with_search=False)
    try:
        report = kb.analytics.log.purge(days=args.days)
    finally:
        kb.close()
    print(f"purged {report.queries} logged queries and {report.suggestions} suggestions older than "
          f"{report.cutoff.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return 0


def _drift_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=bounded(1, 3_650), default=30,
                        help="compare this many days with the same span before")
    parser.add_argument("--dry-run", action="store_true", help="list the drifting articles, flag nothing")


@command("analytics-drift", "flag articles agents keep rejecting, or whose link rate fell, as needing review",
         _drift_args)
def cmd_analytics_drift(args: argparse.Namespace) -> int:
    """List drifting articles and flag them "needs review" for their owners."""
    kb = _open(with_search=False)
    try:
        window = default_window(args.days)
        rows = kb.analytics.drift.table(window).rows
        flagged = set() if args.dry_run else set(kb.analytics.flag_drift(window))
    finally:
        kb.close()
    for row in rows:
        mark = "flagged" if row["id"] in flagged else "listed"
        print(f"{mark:<8} {row['slug']}  ({row['owner'] or 'no owner'}): {row['reason']}")
    print(f"{len(rows)} drifting, {len(flagged)} newly flagged")
    return 0


def _bench_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=bounded(1, 100_000_000), default=1_000_000,
                        help="logged queries to fill the log with")
    parser.add_argument("--articles", type=bounded(10, 1_000_000), default=1_000, help="size of the synthetic base")


@command("bench-analytics", "print query-logging overhead and analytics page times as JSON lines", _bench_args)
def cmd_bench_analytics(args: argparse.Namespace) -> int:
    """Measure what logging adds to a search and how fast the analytics pages render over a full log."""
    from kb.bench import emit_json
    from kb.bench_analytics import run_analytics_bench
    from kb.config import load_settings

    run_analytics_bench(load_settings(), args.rows, args.articles, emit_json)
    return 0
