"""Command line: API tokens (create-token, list-tokens, revoke-token)."""

from __future__ import annotations

import argparse
import sys

from kb.cli import _open, cli_actor, command
from kb.errors import NotFound, ValidationFailed
from kb.tokens import SCOPES


def _create_token_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="who uses it, e.g. 'zendesk-plugin'")
    parser.add_argument("--scope", required=True, choices=SCOPES, help="suggest < read < write < admin")
    parser.add_argument("--team", default="", help="the team the token acts for (optional)")


@command("create-token", "create an API token and print its secret once", _create_token_args)
def cmd_create_token(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    try:
        token, secret = kb.tokens.create(args.name, args.scope, args.team, by=cli_actor())
    except ValidationFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        kb.close()
    team = f", team {token.team}" if token.team else ""
    print(f"created token {token.id} '{token.name}' (scope {token.scope}{team})")
    print(secret)
    print("Store this secret now: it will not be shown again.", file=sys.stderr)
    return 0


@command("list-tokens", "list API tokens (never their secrets)")
def cmd_list_tokens(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    tokens = kb.tokens.list()
    kb.close()
    if not tokens:
        print("no tokens")
        return 0
    print(f"{'ID':>4}  {'PREFIX':<8}  {'SCOPE':<7}  {'STATUS':<7}  {'LAST USED':<20}  {'TEAM':<12}  NAME")
    for t in tokens:
        row = t.to_dict()
        status = "active" if t.active else "revoked"
        print(f"{t.id:>4}  {t.prefix:<8}  {t.scope:<7}  {status:<7}  {row['last_used_at'] or 'never':<20}  "
              f"{t.team or '-':<12}  {t.name}")
    return 0


def _token_id_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, help="token id, from list-tokens")


@command("revoke-token", "revoke an API token: its next request is refused", _token_id_arg)
def cmd_revoke_token(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    try:
        before = {t.id: t for t in kb.tokens.list()}.get(args.id)
        token = kb.tokens.revoke(args.id, by=cli_actor())
    except NotFound as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        kb.close()
    if before is not None and before.revoked_at is not None:
        print(f"token {token.id} '{token.name}' was already revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC")
        return 0
    print(f"revoked token {token.id} '{token.name}' ({token.prefix}…)")
    return 0
