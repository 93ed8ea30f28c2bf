"""Error types shared by the model, the Excel functions, the generator and the harness.

Two families:

* :class:`InputError` is raised by the model when an argument is outside its domain. Its
  message names the argument and the rule, e.g. ``halving_years must be > 0, got 0``.
* :class:`ExcelError` is an Excel error *value* (``#VALUE!``, ``#NUM!`` ...), optionally with
  the message that explains it. It is a value, not an exception: the harness compares it
  with cached error cells, and the Excel adapters turn it into the runtime's error.
"""

from __future__ import annotations

#: The error values a cell can hold, as Excel spells them.
EXCEL_ERROR_CODES = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#CIRC!",
    # Newer Excel 365 error values, read from saved files as themselves
    "#BLOCKED!",
    "#BUSY!",
    "#CONNECT!",
    "#FIELD!",
    "#UNKNOWN!",
    "#PYTHON!",
    "#EXTERNAL!",
)


class InputError(ValueError):
    """An argument is outside the domain of a model function.

    Parameters
    ----------
    argument : str
        Name of the offending argument, as the user knows it.
    rule : str
        What the argument must satisfy, e.g. ``"must be > 0"``.
    got : object, optional
        The offending value, shown in the message.
    code : str
        The Excel error value this maps to: ``#NUM!`` for a number out of range,
        ``#VALUE!`` for a value of the wrong kind.
    """

    def __init__(self, argument: str, rule: str, got: object = None, code: str = "#NUM!"):
        self.argument = argument
        self.rule = rule
        self.got = got
        self.code = code
        message = f"{argument} {rule}"
        if got is not None:
            message += f", got {_short(got)}"
        super().__init__(message)


class WorkbookError(Exception):
    """A workbook cannot be read, checked or written. The message is one line."""


class ExcelError:
    """An Excel error value such as ``#NUM!``, with an optional explanation.

    Two ExcelError values are equal when their codes are equal: the message is for people.
    """

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str = ""):
        code = code.upper()
        if code not in EXCEL_ERROR_CODES:
            raise ValueError(f"not an Excel error value: {code!r}")
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelError) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"ExcelError({self.code!r})" if not self.message else (
            f"ExcelError({self.code!r}, {self.message!r})"
        )

    def __str__(self) -> str:
        return self.code


#: Office.js names of error values, as custom functions receive and return them
#: (``{"type": "Error", "errorType": "Div0"}``).
OFFICE_JS_ERROR_TYPES = {
    "Null": "#NULL!", "Div0": "#DIV/0!", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
    "Num": "#NUM!", "NotAvailable": "#N/A", "NA": "#N/A", "GettingData": "#GETTING_DATA",
    "Spill": "#SPILL!", "Calc": "#CALC!", "Circular": "#CIRC!",
}


def as_excel_error(value: object) -> ExcelError | None:
    """Return ``value`` as an :class:`ExcelError` if it is one or spells one, else None.

    Accepts an ExcelError, its code as text (``"#NUM!"``), and an Office.js error object
    (``{"type": "Error", "errorType": "Num"}``).
    """
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, str) and value.upper() in EXCEL_ERROR_CODES:
        return ExcelError(value)
    if isinstance(value, dict) and value.get("type") == "Error":
        return ExcelError(OFFICE_JS_ERROR_TYPES.get(value.get("errorType"), "#VALUE!"))
    return None


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
