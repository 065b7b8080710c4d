"""Manage console users: add, list, passwd, disable, enable.

Passwords are read from the terminal (asked twice) or, when stdin is not a terminal, from
the first line of stdin, so they never appear in the shell history or the process list.
They are stored as argon2id hashes in the site database (the --db of `callpoint serve`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from callpoint.console.accounts import AccountError, AccountStore, Role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("callpoint.db"),
        help="SQLite database of the site (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add a user; the password is read from the tty or stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=[str(r) for r in Role], default=str(Role.OPERATOR))
    sub.add_parser("list", help="list users and their roles")
    for action, text in (
        ("passwd", "set a new password"),
        ("disable", "disable a user and end their sessions"),
        ("enable", "enable a disabled user"),
    ):
        sub.add_parser(action, help=text).add_argument("name")


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    store = AccountStore(args.db)
    store.open()
    try:
        match args.user_command:
            case "add":
                user = store.add_user(args.name, Role(args.role), read_password())
                print(f"user {user.name} added with role {user.role}")
            case "list":
                for u in store.users():
                    flag = " (disabled)" if u.disabled else ""
                    print(f"{u.name:<24} {u.role:<11} since {u.created_at:%Y-%m-%d}{flag}")
            case "passwd":
                store.set_password(args.name, read_password())
                print(f"password of {args.name} changed")
            case "disable" | "enable":
                store.set_disabled(args.name, args.user_command == "disable")
                print(f"user {args.name} {args.user_command}d")
    except AccountError as exc:
        print(f"callpoint user: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
