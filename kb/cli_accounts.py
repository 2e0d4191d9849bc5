"""Command line: user accounts (create-user, set-password, list-users)."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from kb.cli import _open, cli_actor, command
from kb.errors import KBError
from kb.models import ROLES


def _create_user_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--role", default="reader", choices=ROLES)
    parser.add_argument("--team", default="")
    parser.add_argument("--name", default="", help="display name")
    parser.add_argument("--password-env", metavar="VAR",
                        help="read the password from this environment variable instead of a prompt")
    parser.add_argument("--generate-password", action="store_true", help="generate one and print it once")
    parser.add_argument("--sso-only", action="store_true", help="no password: signs in through the proxy header")
    parser.add_argument("--if-missing", action="store_true", help="do nothing (exit 0) if the user exists")


def _from_env(name: str) -> str:
    if name not in os.environ:
        raise KBError(f"the environment variable {name} is not set")
    return os.environ[name]


def _password(args: argparse.Namespace) -> tuple[str | None, bool]:
    if args.sso_only:
        return None, False
    if args.password_env:
        return _from_env(args.password_env), False
    if args.generate_password or not sys.stdin.isatty():
        return secrets.token_urlsafe(18), True
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise KBError("the passwords differ")
    return first, False


@command("create-user", "add a user account (e.g. the first admin: create-user alice --role admin)",
         _create_user_args)
def cmd_create_user(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    try:
        if args.if_missing and kb.users.find(args.username):
            print(f"user {args.username} exists")
            return 0
        password, generated = _password(args)
        user = kb.users.create(args.username, role=args.role, password=password, team=args.team,
                               display_name=args.name, by=cli_actor())
    except KBError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        kb.close()
    print(f"created user {user.username} (role {user.role}{', team ' + user.team if user.team else ''})")
    if generated:
        print(f"password: {password}")
        print("Store this password now: it will not be shown again.", file=sys.stderr)
    return 0


@command("list-users", "list user accounts")
def cmd_list_users(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    users = kb.users.list()
    kb.close()
    for u in users:
        state = "disabled" if u.disabled else "active"
        print(f"{u.id:>4}  {u.username:<24}  {u.role:<8}  {state:<8}  {u.team or '-'}")
    if not users:
        print("no users")
    return 0


def _set_password_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")


@command("set-password", "set a user's password (also unlocks the account)", _set_password_args)
def cmd_set_password(args: argparse.Namespace) -> int:
    kb = _open(with_search=False)
    try:
        kb.users.get(args.username.lower())  # an unknown name is said before a password is asked for
        password = _from_env(args.password_env) if args.password_env else getpass.getpass("Password: ")
        kb.users.update(args.username.lower(), by=cli_actor(), password=password)
    except KBError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        kb.close()
    print(f"password of {args.username} changed")
    return 0
