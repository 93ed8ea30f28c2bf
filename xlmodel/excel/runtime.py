"""What the xlwings functions return, in each xlwings runtime.

The generated module ``xlmodel_udfs`` calls :func:`call` for every Excel function. It turns
the catalogue's result into what the runtime shows best:

* xlwings Server and xlwings Lite (``XLWINGS_ON_SERVER=true``): an error cell is returned as
  its code (``"#NUM!"``), which Office.js shows as a real error value; a call that fails as a
  whole raises ``xlwings.XlwingsError``, shown as #VALUE! with the message on hover. Never any
  other exception: xlwings Server answers those with HTTP 500 and the add-in retries them.
* Classic xlwings (Windows, COM): returned error codes are plain text there and exceptions show
  a traceback in the cell, so a failed call returns the text ``"#VALUE! <message>"`` instead.

Imports nothing but the catalogue at module level; ``xlwings`` itself is imported lazily, and
``xlwings.server``/``xlwings.pro`` never (they need a licence key).
"""

from __future__ import annotations

import logging
import os

from xlmodel.errors import ExcelError
from xlmodel.functions.calling import CallError
from xlmodel.functions.catalogue import invoke

logger = logging.getLogger(__name__)


def on_server() -> bool:
    """True under xlwings Server and xlwings Lite (Office.js custom functions)."""
    return os.environ.get("XLWINGS_ON_SERVER") == "true"


def call(name: str, *args) -> list[list]:
    """Run catalogue function ``name`` and shape its result for the current runtime."""
    try:
        cells = invoke(name, *args)
    except CallError as exc:
        return _fail(exc.error.code, str(exc))
    except Exception as exc:  # a bug: still an error value, never a traceback in a cell
        logger.exception("%s failed", name)
        return _fail("#VALUE!", f"internal error in {name}: {type(exc).__name__}: {exc}")
    return [[c.code if isinstance(c, ExcelError) else c for c in row] for row in cells]


def missing(name: str):
    """What the module answers for a name it does not have (its module ``__getattr__``).

    Under xlwings Server and Lite a public name (any spelling) is a call from an add-in whose
    function list differs from this module's: raise ``XlwingsError`` (#VALUE! with the
    message). Private and special names are an ordinary ``AttributeError``.
    """
    if on_server() and name[:1].isalpha():
        import xlwings as xw

        from xlmodel._version import __version__

        raise xw.XlwingsError(f"xlmodel {__version__} has no function {name}: reload the "
                              "add-in, its list of functions is out of date")
    raise AttributeError(f"module 'xlmodel_udfs' has no attribute {name!r}")


def _fail(code: str, message: str) -> list[list]:
    if on_server():
        import xlwings as xw

        raise xw.XlwingsError(message)
    return [[f"{code} {message}"]]
