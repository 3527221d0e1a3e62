"""The ``course`` command: look at the data, and (for instructors) release and grade work.

Run ``course --help`` for the list of commands.
"""

from __future__ import annotations

import argparse
import sys


def _data_list(args: argparse.Namespace) -> int:
    from course import data

    counts = data.check_all()
    width = max(map(len, counts))
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>4} rows")
    return 0


def _data_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from course import data

    table = data.load(args.name)
    columns = args.columns.split(",") if args.columns else list(table.columns)
    unknown = [c for c in columns if c not in table.columns]
    if unknown:
        print(f"course: unknown column(s) {unknown}; columns are {list(table.columns)}",
              file=sys.stderr)
        return 2
    with pd.option_context("display.max_rows", None, "display.max_colwidth", args.width,
                           "display.width", 200):
        print(table[columns].to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course",
        description="A source-based course on the Russian Revolution and Stalinism, 1917-1940.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data = commands.add_parser("data", help="list, show and check the datasets")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    listing = data_commands.add_parser("list", help="validate every table and print its row count")
    listing.set_defaults(run=_data_list)
    show = data_commands.add_parser("show", help="print one table")
    show.add_argument("name", help="table name, as listed by 'course data list'")
    show.add_argument("--columns", help="comma-separated columns to show (default: all)")
    show.add_argument("--width", type=int, default=60, help="widest cell, in characters")
    show.set_defaults(run=_data_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``course`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    from course.data import DataError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, KeyError) as error:
        print(f"course: {error}", file=sys.stderr)
        return 1
