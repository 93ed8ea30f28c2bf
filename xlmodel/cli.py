"""The ``xlmodel`` command: one verb per job.

Exit codes: 0 success, 1 a check found differences, 2 a usage error or a file that cannot be
read or written.
"""

from __future__ import annotations

import argparse
import json
import sys

from xlmodel import __version__
from xlmodel.errors import InputError, WorkbookError
from xlmodel.headline import all_headlines, format_table


def _summary(args: argparse.Namespace) -> int:
    headlines = all_headlines()
    if args.json:
        print(json.dumps({s: {f.key: {"value": None if f.value != f.value else f.value,
                                      "unit": f.unit, "label": f.label} for f in figs}
                          for s, figs in headlines.items()}, indent=2))
    else:
        print(format_table(headlines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlmodel",
        description="The economics of AI compute as Excel functions, workbooks and checks.",
    )
    parser.add_argument("--version", action="version", version=f"xlmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("summary", help="print the headline figures of every scenario",
                       description="Print, for each scenario, the essay's figures computed "
                       "by the model: hurdle rate, cost per token, breakeven launch cost, "
                       "crossover year and build-out growth.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["summary", *(argv or [])])
    try:
        return args.func(args)
    except (InputError, WorkbookError) as exc:
        print(f"xlmodel: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
