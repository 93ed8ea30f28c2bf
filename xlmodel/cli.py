"""The ``xlmodel`` command: one verb per job.

Exit codes: 0 success, 1 a check found differences, 2 a usage error or a file that cannot be
read or written.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from pathlib import Path

from xlmodel._version import __version__
from xlmodel.errors import InputError, WorkbookError


def _summary(args: argparse.Namespace) -> int:
    from xlmodel.model.headline import all_headlines, format_table

    headlines = all_headlines()
    if args.json:
        print(json.dumps({s: {f.key: {"value": None if f.value != f.value else f.value,
                                      "unit": f.unit, "label": f.label} for f in figs}
                          for s, figs in headlines.items()}, indent=2))
    else:
        print(format_table(headlines))
    return 0


def _build(args: argparse.Namespace) -> int:
    from xlmodel.model.headline import all_headlines, format_table
    from xlmodel.template.build import TEMPLATES, build_all

    unknown = [n for n in args.templates if n not in TEMPLATES]
    if unknown:
        print(f"xlmodel build: error: no template {unknown[0]!r}; templates: "
              + ", ".join(TEMPLATES), file=sys.stderr)
        return 2
    _writable_folder(Path(args.out))
    built = build_all(Path(args.out), args.templates or None)
    print(format_table(all_headlines()))
    print()
    for b in built:
        print(f"{b.name}: {b.xlsx}  {b.xlsm}")
    return 0


def _render(args: argparse.Namespace) -> int:
    from xlmodel.functions.catalogue import function_names
    from xlmodel.harness.libreoffice import find_soffice, render_pngs

    if find_soffice() is None:
        print("xlmodel render: error: LibreOffice (soffice) is not installed", file=sys.stderr)
        return 2
    _writable_folder(Path(args.out))
    failed = False
    for i, path in enumerate(args.workbooks, start=1):
        _progress(i, len(args.workbooks), f"rendering {path}")
        try:
            pngs = render_pngs(Path(path), Path(args.out), dpi=args.dpi,
                               udf_names=function_names())
        except Exception as exc:  # LibreOffice failed, timed out or found no sheet
            _error(args, f"{path}: {_reason(exc)}")
            failed = True
            continue
        for png in pngs:
            print(f"wrote {png}")
    _progress_done()
    return 2 if failed else 0


def _check(args: argparse.Namespace) -> int:
    from xlmodel import harness, workbook

    reports, errors, entries = [], {}, []
    for i, path in enumerate(args.workbooks, start=1):
        _progress(i, len(args.workbooks), f"{'updating' if args.update else 'checking'} {path}")
        try:
            # calc holds a lock from reading to writing, so that two runs take turns; each
            # write is refused if the file changed since it was read
            with workbook.folder_lock(Path(path).resolve()) if args.update else _nothing():
                if args.update:
                    _updatable(path)
                report = harness.check(path, args.mode, rtol=args.rtol, atol=args.atol,
                                       strict=getattr(args, "strict", False),
                                       max_cells=args.max_cells, max_rows=args.max_rows)
                if args.update:
                    harness.update(path, report)
        except WorkbookError as exc:
            _file_error(args, path, str(exc), errors, entries)
            continue
        except Exception as exc:
            # a safety net for what no rule above foresaw: one line per file, nothing
            # written, and the other files still run
            what = _reason(exc) if isinstance(exc, OSError) else (
                f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
            _file_error(args, path, f"cannot check: {what}", errors, entries)
            continue
        reports.append(report)
        entries.append(harness.to_json([report])[0])
        if args.update:
            _progress_done()
            print(f"{path}: updated {len(report.recomputed)} cached values")
        elif not args.json:
            _progress_done()
            print(harness.format_report(report, limit=args.limit))
    _progress_done()
    if args.json:
        print(json.dumps(entries, indent=2))
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


def _file_error(args, path, message: str, errors: dict, entries: list) -> None:
    message = " ".join(message.split())  # one line, whatever a formula's text holds
    where = "" if str(path) in message else f"{path}: "
    errors[path] = message
    entries.append({"path": str(path), "mode": args.mode, "ok": False,
                    "error": f"{where}{message}"})
    _error(args, f"{where}{message}")


def _updatable(path: str) -> None:
    """calc writes only regular files it may write: refuse the rest before any work."""
    p = Path(path)
    if p.exists() and not os.path.isfile(p):
        raise WorkbookError(f"{path}: not a regular file")
    if p.is_file() and not (_may_write(p) and _may_write(p.resolve().parent)):
        raise WorkbookError(f"{path}: the file or its folder is read-only; not written")


def _may_write(path: Path) -> bool:
    """Writable by us, and not marked read-only for everybody: root, who may write anything,
    still leaves alone what its owner made read-only."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


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


_FILE_SUFFIXES = (".py", ".csv", ".txt", ".json", ".xlsx", ".xlsm", ".xls", ".md", ".toml")


def _output_folder(text: str, what: str) -> Path:
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise WorkbookError(f"{text} is a file, not a folder: give the folder to write "
                            f"{what} into")
    if not folder.exists() and folder.suffix.lower() in _FILE_SUFFIXES:
        raise WorkbookError(f"{text} looks like a file name: give the folder to write "
                            f"{what} into")
    _writable_folder(folder)
    return folder


def _writable_folder(folder: Path) -> None:
    """Refuse up front a folder that cannot be created or written."""
    existing = folder.absolute()
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.is_dir() and not _may_write(existing):
        raise WorkbookError(f"cannot write into {existing}: the folder is read-only")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(f"cannot create the folder {folder}: {_reason(exc)}") from None
    if not folder.is_dir():
        raise WorkbookError(f"{folder} is not a folder")
    if not _may_write(folder):
        raise WorkbookError(f"cannot write into {folder}: the folder is read-only")


def _udfs(args: argparse.Namespace) -> int:
    from xlmodel.excel.udf_module import MODULE_NAME, write_module

    folder = _output_folder(args.folder, f"{MODULE_NAME}.py")
    print(f"wrote {write_module(folder)}")
    return 0


def _lite(args: argparse.Namespace) -> int:
    from xlmodel.excel.udf_module import write_lite_bundle

    for path in write_lite_bundle(_output_folder(args.folder, "main.py and requirements.txt")):
        print(f"wrote {path}")
    print("In Excel: xlwings Lite > paste main.py into the editor, add the lines of "
          "requirements.txt to Lite's requirements.txt (keep its xlwings line), restart Python.")
    return 0


def _functions(args: argparse.Namespace) -> int:
    from xlmodel.functions import reference

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


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _count(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _dpi(text: str) -> int:
    value = _whole(text)
    if not 10 <= value <= 600:
        raise argparse.ArgumentTypeError(f"must be between 10 and 600, got {value}")
    return value


def _limit_options(p: argparse.ArgumentParser) -> None:
    from xlmodel.harness import MAX_CELLS, MAX_ROWS

    p.add_argument("--max-cells", type=_count, default=MAX_CELLS,
                   help="refuse workbooks with more cells")
    p.add_argument("--max-rows", type=_count, default=MAX_ROWS,
                   help="refuse sheets with more rows")


class _DefaultsShown(argparse.HelpFormatter):
    """Help that ends each option with its default, where it has one worth saying."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if "%(default)" in text or default in (None, False, argparse.SUPPRESS) or (
                isinstance(default, list) and not default):
            return text
        return text + " (default: %(default)s)"


class _VerbParser(argparse.ArgumentParser):
    """A verb's parser: every option's default shown in --help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DefaultsShown)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlmodel",
        description="The economics of AI compute as Excel functions, workbooks and checks.",
    )
    parser.add_argument("--version", action="version", version=f"xlmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=_VerbParser)

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
                   help="templates to build (all when none are named)")
    p.add_argument("--out", default="workbooks", help="output folder")
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
                   help="local: each xlmodel call from its saved arguments; full: the whole "
                   "chain")
    p.add_argument("--rtol", type=_tolerance, default=1e-9, help="relative tolerance")
    p.add_argument("--atol", type=_tolerance, default=1e-12, help="absolute tolerance")
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
                   help="full: the whole chain; local: each xlmodel call from its saved "
                   "arguments")
    _limit_options(p)
    p.set_defaults(func=_calc)

    p = sub.add_parser("render", help="render each sheet of workbooks to PNG (LibreOffice)",
                       description="Render every sheet of each workbook to a PNG with "
                       "LibreOffice, charts included, showing the values saved in the file.")
    p.add_argument("workbooks", nargs="+", metavar="WORKBOOK")
    p.add_argument("--out", default="docs", help="output folder")
    p.add_argument("--dpi", type=_dpi, default=100, help="resolution [dots per inch], 10 to 600")
    p.set_defaults(func=_render)

    p = sub.add_parser("functions", help="list the Excel functions",
                       description="List every Excel function with its signature and what it "
                       "returns, from the function catalogue.")
    p.add_argument("--markdown", action="store_true", help="print the README's Markdown reference")
    p.set_defaults(func=_functions)

    p = sub.add_parser("udfs", help="write the module xlwings imports (xlmodel_udfs.py)",
                       description="Write xlmodel_udfs.py, the module named in xlwings.conf's "
                       "'UDF Modules', generated from the function catalogue.")
    p.add_argument("folder", nargs="?", default="udfs", help="folder to write it into")
    p.set_defaults(func=_udfs)

    p = sub.add_parser("lite", help="write an xlwings Lite bundle (main.py, requirements.txt)",
                       description="Write main.py and requirements.txt for xlwings Lite: paste "
                       "them into the xlwings Lite editor to get the same functions in Excel "
                       "on Windows, Mac or the web.")
    p.add_argument("folder", nargs="?", default="xlwings-lite",
                   help="folder to write them into")
    p.set_defaults(func=_lite)
    from xlmodel.excel.server import add_parser as _server_parser
    _server_parser(sub)
    return parser


# --- errors, signals, progress -----------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    filename = getattr(exc, "filename", None)
    if filename and str(filename) not in text:
        text = f"{filename}: {text}"
    return " ".join(text.split())


def _error(args, message: str) -> None:
    _progress_done()  # an error line never shares the terminal line of the progress
    print(f"xlmodel {getattr(args, 'command', None) or 'summary'}: error: {message}",
          file=sys.stderr)


_progress_shown = False


def _progress(i: int, n: int, what: str) -> None:
    """Show "[i/n] what" on a terminal's stderr (never in a pipe or a log) for long work."""
    global _progress_shown
    if n < 2 and "render" not in what or not sys.stderr.isatty():
        return
    line = f"[{i}/{n}] {what}"
    width = 79
    sys.stderr.write("\r" + line[:width].ljust(width))
    sys.stderr.flush()
    _progress_shown = True


def _progress_done() -> None:
    global _progress_shown
    if _progress_shown:
        sys.stderr.write("\r" + " " * 79 + "\r")
        sys.stderr.flush()
        _progress_shown = False


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporary files are removed."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not valid UTF-8
        with _suppress_value_error():
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        args, extra = parser.parse_known_args(["summary", *(argv or [])])
    if extra:  # the verb's own usage, not the top-level one
        verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        verbs.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    previous = None
    with _suppress_value_error():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args)
    except (InputError, WorkbookError) as exc:
        _progress_done()
        _error(args, " ".join(str(exc).split()))
        return 2
    except BrokenPipeError:
        # the reader (head, less) went away: say nothing more, as other tools do
        with _suppress_value_error():
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt as exc:
        _progress_done()
        _error(args, "terminated" if isinstance(exc, _Terminated) else "interrupted")
        return 143 if isinstance(exc, _Terminated) else 130
    except OSError as exc:
        _progress_done()
        _error(args, _reason(exc))
        return 2
    finally:
        if previous is not None:
            with _suppress_value_error():
                signal.signal(signal.SIGTERM, previous)


class _suppress_value_error:
    """signal.signal works only in the main thread; os.dup2 may find no stdout."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, (ValueError, OSError, AttributeError))


def run() -> None:
    """The console script: exit with main's code; a closed pipe at exit is not an error."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = code or 1
    sys.exit(code)


if __name__ == "__main__":
    run()
