"""``TEXTJOIN`` where IronCalc 0.9.1 differs from Excel: with ``ignore_empty`` TRUE it keeps
empty texts (``TEXTJOIN(", ", TRUE, "a", "", "b")`` is ``"a, , b"``, Excel ``"a, b"``), and
it writes numbers with 17 significant digits where Excel writes 15.

Excel's rules, kept here: every argument after the second is a value, a range or an array,
read row by row; a blank cell or an empty text is left out when ``ignore_empty`` is TRUE (an
empty text otherwise joins as one); numbers, logicals and text join as ``&`` writes them; an
error in them is the result. The delimiter may be a range or array, whose values are used in
turn. A result longer than 32,767 characters is ``#VALUE!``.
"""

from __future__ import annotations

from xlmodel.errors import ExcelError
from xlmodel.formula.values import MAX_TEXT, to_bool, to_text


def _values(arg) -> list:
    if hasattr(arg, "ravel"):
        return list(arg.ravel())
    return [arg]


def textjoin(delimiter=None, ignore_empty=None, *texts):
    """Excel's ``TEXTJOIN(delimiter, ignore_empty, text1, ...)``."""
    delimiters = []
    for d in _values(delimiter):
        d = to_text(d)
        if isinstance(d, ExcelError):
            return d
        delimiters.append(d)
    skip = _values(ignore_empty)
    if len(skip) != 1:
        return ExcelError("#VALUE!", "TEXTJOIN: ignore_empty must be one value")
    skip = to_bool(skip[0]) if skip[0] is not None else False
    if isinstance(skip, ExcelError):
        return skip
    parts: list[str] = []
    length = 0
    for arg in texts:
        for v in _values(arg):
            if isinstance(v, ExcelError):
                return v
            if skip and (v is None or v == ""):
                continue
            text = to_text(v)
            if isinstance(text, ExcelError):
                return text
            if parts:
                length += len(delimiters[(len(parts) - 1) % len(delimiters)])
            parts.append(text)
            length += len(text)
            if length > MAX_TEXT:
                return ExcelError("#VALUE!", f"TEXTJOIN: the text would pass {MAX_TEXT:,} "
                                             "characters")
    if not parts:
        return ""
    out = [parts[0]]
    for k, text in enumerate(parts[1:]):
        out.append(delimiters[k % len(delimiters)])
        out.append(text)
    return "".join(out)


#: The text functions computed on our side (arguments as arrays).
FIXES = {"TEXTJOIN": textjoin}
