"""pytest plugin: every workbook under the configured paths is a test.

Enable it in ``pyproject.toml`` (or ``pytest.ini``) by naming the folders to check, and add
them to ``testpaths`` so pytest visits them::

    [tool.pytest.ini_options]
    testpaths = ["tests", "workbooks"]
    xlmodel_workbooks = ["workbooks"]
    xlmodel_mode = "local"        # or "full"

Each .xlsx/.xlsm file becomes one test item; a failure shows the table of cells whose
recomputed value differs from the saved one. Command-line options override the ini:
``--xlmodel-mode``, ``--xlmodel-rtol``, ``--xlmodel-atol``. Installed with xlmodel, the
plugin does nothing until ``xlmodel_workbooks`` names a folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xlmodel import harness
from xlmodel.errors import WorkbookError

SUFFIXES = {".xlsx", ".xlsm"}


def pytest_addoption(parser):
    group = parser.getgroup("xlmodel", "check saved workbooks with the xlmodel harness")
    group.addoption("--xlmodel-mode", choices=harness.MODES, default=None,
                    help="recompute only our functions (local) or everything (full)")
    group.addoption("--xlmodel-rtol", type=float, default=None, help="relative tolerance")
    group.addoption("--xlmodel-atol", type=float, default=None, help="absolute tolerance")
    parser.addini("xlmodel_workbooks", "folders (or files) whose workbooks are checked",
                  type="paths", default=[])
    parser.addini("xlmodel_mode", "local or full", default="local")
    parser.addini("xlmodel_rtol", "relative tolerance", default=str(harness.RTOL))
    parser.addini("xlmodel_atol", "absolute tolerance", default=str(harness.ATOL))


def _settings(config):
    mode = config.getoption("--xlmodel-mode") or config.getini("xlmodel_mode")
    if mode not in harness.MODES:
        raise pytest.UsageError(f"xlmodel_mode must be local or full, got {mode!r}")
    rtol = config.getoption("--xlmodel-rtol")
    atol = config.getoption("--xlmodel-atol")
    return (mode, float(config.getini("xlmodel_rtol")) if rtol is None else rtol,
            float(config.getini("xlmodel_atol")) if atol is None else atol)


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix.lower() not in SUFFIXES or file_path.name.startswith("~$"):
        return None
    roots = [Path(p).resolve() for p in parent.config.getini("xlmodel_workbooks")]
    path = file_path.resolve()
    if any(path == r or r in path.parents for r in roots):
        return WorkbookFile.from_parent(parent, path=file_path)
    return None


class WorkbookFile(pytest.File):
    def collect(self):
        mode, _, _ = _settings(self.config)
        yield WorkbookItem.from_parent(self, name=f"{self.path.name}[{mode}]")


class WorkbookMismatch(Exception):
    """The recomputed workbook differs from its saved values."""


class WorkbookItem(pytest.Item):
    def runtest(self):
        mode, rtol, atol = _settings(self.config)
        report = harness.check(self.path, mode, rtol=rtol, atol=atol)
        self.user_properties.append(("checked", report.checked))
        if not report.ok:
            raise WorkbookMismatch(harness.format_report(report))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (WorkbookMismatch, WorkbookError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"xlmodel check: {self.name}"
