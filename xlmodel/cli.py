"""The ``xlmodel`` command: one verb per job.

Exit codes: 0 success, 1 a check found differences, 2 a usage error or a file that cannot be
read or written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

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


def _build(args: argparse.Namespace) -> int:
    from xlmodel.generator.build import TEMPLATES, build_all

    unknown = [n for n in args.templates if n not in TEMPLATES]
    if unknown:
        print(f"xlmodel build: error: no template {unknown[0]!r}; templates: "
              + ", ".join(TEMPLATES), file=sys.stderr)
        return 2
    built = build_all(Path(args.out), args.templates or None)
    print(format_table(all_headlines()))
    print()
    for b in built:
        print(f"{b.name}: {b.xlsx}  {b.xlsm}")
    return 0


def _render(args: argparse.Namespace) -> int:
    from xlmodel.catalogue import function_names
    from xlmodel.libreoffice import find_soffice, render_pngs

    if find_soffice() is None:
        print("xlmodel render: error: LibreOffice (soffice) is not installed", file=sys.stderr)
        return 2
    for path in args.workbooks:
        for png in render_pngs(Path(path), Path(args.out), dpi=args.dpi,
                               udf_names=function_names()):
            print(f"wrote {png}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from xlmodel import harness

    reports, errors = [], {}
    for path in args.workbooks:
        try:
            report = harness.check(path, args.mode, rtol=args.rtol, atol=args.atol,
                                   strict=getattr(args, "strict", False),
                                   max_cells=args.max_cells, max_rows=args.max_rows)
        except WorkbookError as exc:
            errors[path] = str(exc)
            where = "" if str(path) in str(exc) else f"{path}: "
            print(f"xlmodel {args.command}: error: {where}{exc}", file=sys.stderr)
            continue
        reports.append(report)
        if args.update:
            harness.update(path, report)
            print(f"{path}: updated {len(report.recomputed)} cached values")
        elif not args.json:
            print(harness.format_report(report, limit=args.limit))
    if args.json:
        print(json.dumps(harness.to_json(reports), indent=2))
    if args.junit:
        try:
            _write_text(Path(args.junit), harness.to_junit(reports, errors))
        except OSError as exc:
            print(f"xlmodel {args.command}: error: cannot write {args.junit}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return 2
    if errors:
        return 2
    return 0 if args.update or all(r.ok for r in reports) else 1


def _calc(args: argparse.Namespace) -> int:
    args.update = True
    args.json = False
    args.junit = None
    args.rtol, args.atol, args.limit = 0.0, 0.0, 0
    return _check(args)


def _write_text(path: Path, text: str) -> None:
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _udfs(args: argparse.Namespace) -> int:
    from xlmodel.xlwings_module import write_module

    print(f"wrote {write_module(Path(args.folder))}")
    return 0


def _lite(args: argparse.Namespace) -> int:
    from xlmodel.xlwings_module import write_lite_bundle

    for path in write_lite_bundle(Path(args.folder)):
        print(f"wrote {path}")
    print("In Excel: xlwings Lite > paste main.py into the editor, add the lines of "
          "requirements.txt to Lite's requirements.txt (keep its xlwings line), restart Python.")
    return 0


def _functions(args: argparse.Namespace) -> int:
    from xlmodel import reference

    if args.markdown:
        print(reference.markdown())
        return 0
    for category, signature, description, *_ in reference.rows():
        print(f"{signature}\n    {description}  [{category}]")
    return 0


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _limit_options(p: argparse.ArgumentParser) -> None:
    from xlmodel.harness import MAX_CELLS, MAX_ROWS

    p.add_argument("--max-cells", type=_count, default=MAX_CELLS,
                   help=f"refuse workbooks with more cells (default {MAX_CELLS:,})")
    p.add_argument("--max-rows", type=_count, default=MAX_ROWS,
                   help=f"refuse sheets with more rows (default {MAX_ROWS:,})")


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

    p = sub.add_parser("build", help="build the template workbooks with their values",
                       description="Write each template workbook as .xlsx (cached values "
                       "computed headlessly, so any viewer shows numbers) and .xlsm (with "
                       "xlwings' VBA, for classic xlwings), then print the headline figures.")
    p.add_argument("templates", nargs="*", metavar="TEMPLATE",
                   help="templates to build (default: all)")
    p.add_argument("--out", default="workbooks", help="output folder (default: workbooks)")
    p.set_defaults(func=_build)

    p = sub.add_parser(
        "check", help="recompute saved workbooks and compare with their saved values",
        description="Open each workbook without Excel, recompute the xlmodel functions "
        "(local mode: each from the saved values of its arguments) or the whole workbook "
        "(full mode: from the inputs, native formulas included) and compare with the values "
        "saved in the file. Exit 0: all match; 1: mismatches; 2: usage error or unreadable "
        "file.")
    p.add_argument("workbooks", nargs="+", metavar="WORKBOOK", help=".xlsx or .xlsm files")
    p.add_argument("--mode", choices=("local", "full"), default="local",
                   help="local (default) or full")
    p.add_argument("--rtol", type=_tolerance, default=1e-9, help="relative tolerance (1e-9)")
    p.add_argument("--atol", type=_tolerance, default=1e-12, help="absolute tolerance (1e-12)")
    p.add_argument("--strict", action="store_true",
                   help="count the cells that cannot be recomputed (external links, 3-D "
                   "references, data tables, functions no engine has ...) as failures")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--update", action="store_true",
                   help="write the recomputed values into the file as its cached values "
                   "(lossless, atomic) instead of reporting")
    p.add_argument("--limit", type=_count, default=50, help="mismatches shown per workbook")
    _limit_options(p)
    p.set_defaults(func=_check)

    p = sub.add_parser("calc", help="recompute workbooks and save the values in them",
                       description="Same as 'check --update': recompute and write the values "
                       "back as cached values, changing nothing else in the file.")
    p.add_argument("workbooks", nargs="+", metavar="WORKBOOK")
    p.add_argument("--mode", choices=("local", "full"), default="full",
                   help="full (default) or local")
    _limit_options(p)
    p.set_defaults(func=_calc)

    p = sub.add_parser("render", help="render each sheet of workbooks to PNG (LibreOffice)",
                       description="Render every sheet of each workbook to a PNG with "
                       "LibreOffice, charts included, showing the values saved in the file.")
    p.add_argument("workbooks", nargs="+", metavar="WORKBOOK")
    p.add_argument("--out", default="docs", help="output folder (default: docs)")
    p.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    p.set_defaults(func=_render)

    p = sub.add_parser("functions", help="list the Excel functions",
                       description="List every Excel function with its signature and what it "
                       "returns, from the function catalogue.")
    p.add_argument("--markdown", action="store_true", help="print the README's Markdown reference")
    p.set_defaults(func=_functions)

    p = sub.add_parser("udfs", help="write the module xlwings imports (xlmodel_udfs.py)",
                       description="Write xlmodel_udfs.py, the module named in xlwings.conf's "
                       "'UDF Modules', generated from the function catalogue.")
    p.add_argument("folder", nargs="?", default="udfs", help="where to write it (default: udfs)")
    p.set_defaults(func=_udfs)

    p = sub.add_parser("lite", help="write an xlwings Lite bundle (main.py, requirements.txt)",
                       description="Write main.py and requirements.txt for xlwings Lite: paste "
                       "them into the xlwings Lite editor to get the same functions in Excel "
                       "on Windows, Mac or the web.")
    p.add_argument("folder", nargs="?", default="xlwings-lite",
                   help="where to write them (default: xlwings-lite)")
    p.set_defaults(func=_lite)
    from xlmodel.server import add_parser as _server_parser
    _server_parser(sub)
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
