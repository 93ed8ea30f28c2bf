"""Statistics where IronCalc 0.9.1 differs from Excel.

* The variance family (``VAR``, ``VAR.S``, ``VAR.P``, ``VARP``, ``VARA``, ``VARPA``, the
  ``STDEV`` ones) and ``DEVSQ``: IronCalc sums squares in one pass and loses digits when the
  mean is large against the spread (``VAR.S(1000.1, ..., 1000.5)`` is 3.7e-9 off, and a
  "negative variance" becomes ``#NUM!``); Excel takes two passes. IronCalc also skips
  ``TRUE`` and numeric text typed as arguments, which Excel counts.
* ``SLOPE``, ``INTERCEPT``, ``FORECAST`` (``.LINEAR``), ``CORREL``, ``PEARSON``, ``RSQ``,
  ``STEYX``: the same loss of digits, and ranges with different numbers of points are
  ``#N/A`` in Excel (``#VALUE!`` in IronCalc).
* ``NPV``: IronCalc ignores array constants (``NPV(0.1, {1, 2})`` is 0) and text typed as an
  argument.
* ``LARGE`` and ``SMALL``: Excel rounds a fractional ``k`` up (``LARGE(x, 1.1)`` is the
  second largest) and takes ``TRUE`` as 1; IronCalc truncates.

Excel's coercion rules, kept here: in a range or array constant only numbers count (the
``A`` variants count text as 0 and logicals as 1 or 0), blanks never; an argument typed
directly counts numbers, logicals and numeric text, and other text is ``#VALUE!``. A range
arrives as a 2-D numpy object array (``array_args``), a typed argument as a scalar.
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError
from xlmodel.formula.values import parse_number_text


def _div0(msg):
    return ExcelError("#DIV/0!", msg)


def _num(msg):
    return ExcelError("#NUM!", msg)


def _value(msg):
    return ExcelError("#VALUE!", msg)


def _na(msg):
    return ExcelError("#N/A", msg)


def _is_range(arg) -> bool:
    return not isinstance(arg, (str, bool, int, float, ExcelError)) and arg is not None \
        and hasattr(arg, "__iter__")


def _cells(arg):
    """The values of a range/array argument, row by row."""
    for row in arg:
        if _is_range(row):
            yield from row
        else:
            yield row


def _text_number(text: str):
    """A number typed as text ("3", " 2.5 ", "1e3", "50%", "1,000"), or None."""
    return parse_number_text(text)


def _scalar_number(name, value):
    """Excel's coercion of a value typed directly as an argument (a one-cell reference gives
    its value; a larger range where one number is expected is ``#VALUE!``)."""
    if _is_range(value):
        cells = list(_cells(value))
        if len(cells) != 1:
            return _value(f"{name}: a range where one number is expected")
        value = cells[0]
    if isinstance(value, ExcelError):
        return value
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        n = _text_number(value)
        if n is None:
            return _value(f"{name}: {value[:20]!r} is not a number")
        return n
    return float(value)


def _collect(name, args, *, a_mode=False):
    """Numbers of a statistics argument list, as Excel's STDEV (a_mode=False) or STDEVA.

    In ranges/arrays: numbers count; with a_mode text (also "") counts 0 and TRUE/FALSE 1/0;
    blanks never count; an error is the result. Typed arguments: numbers, logicals and
    numeric text count, other text is #VALUE!, an empty argument counts as 0.
    """
    out = []
    for arg in args:
        if _is_range(arg):
            for v in _cells(arg):
                if isinstance(v, ExcelError):
                    return v
                if v is None:
                    continue
                if isinstance(v, bool):
                    if a_mode:
                        out.append(1.0 if v else 0.0)
                elif isinstance(v, (int, float)):
                    out.append(float(v))
                elif a_mode:
                    out.append(0.0)  # any text in a range counts as 0 for the *A variants
        elif arg is None:
            out.append(0.0)  # an empty argument typed in, as in VAR(1,,2), counts as 0
        else:
            v = _scalar_number(name, arg)
            if isinstance(v, ExcelError):
                return v
            out.append(v)
    return out


def _devsq(xs):
    n = len(xs)
    mean = math.fsum(xs) / n
    # second pass with a correction term (compensated two-pass)
    d = [x - mean for x in xs]
    return math.fsum(t * t for t in d) - math.fsum(d) ** 2 / n


def _variance(name, sample, a_mode):
    def fn(*args):
        xs = _collect(name, args, a_mode=a_mode)
        if isinstance(xs, ExcelError):
            return xs
        n = len(xs)
        if n < (2 if sample else 1):
            return _div0(f"{name}: needs at least {2 if sample else 1} number(s)")
        return max(0.0, _devsq(xs)) / (n - 1 if sample else n)

    fn.__name__ = name
    fn.__doc__ = (f"Excel's {name}: {'sample' if sample else 'population'} variance, two-pass "
                  "(exact for data with a large mean). Ranges: " +
                  ("numbers, text 0, logicals 1/0" if a_mode else "numbers only") +
                  "; typed arguments: numbers, logicals, numeric text; other text #VALUE!.")
    return fn


def _stdev(name, sample, a_mode):
    var = _variance(name, sample, a_mode)

    def fn(*args):
        v = var(*args)
        return v if isinstance(v, ExcelError) else math.sqrt(v)

    fn.__name__ = name
    fn.__doc__ = var.__doc__.replace("variance", "standard deviation")
    return fn


def devsq(*args):
    """Excel's DEVSQ: sum of squared deviations from the mean (two-pass); numbers only in
    ranges; #NUM! with no numbers."""
    xs = _collect("DEVSQ", args)
    if isinstance(xs, ExcelError):
        return xs
    if not xs:
        return _num("DEVSQ: no numbers")
    return max(0.0, _devsq(xs))


def _pairs(name, ys, xs):
    """(y, x) pairs where both are numbers; Excel's rules for SLOPE & co: an error is the
    result; a different number of cells is #N/A; pairs with text/logical/blank are dropped."""
    for a in (ys, xs):
        if isinstance(a, ExcelError):
            return a
    ly = list(_cells(ys)) if _is_range(ys) else [ys]
    lx = list(_cells(xs)) if _is_range(xs) else [xs]
    if len(ly) != len(lx):
        return _na(f"{name}: the ranges have different numbers of points")
    out = []
    for y, x in zip(ly, lx, strict=True):
        for v in (y, x):
            if isinstance(v, ExcelError):
                return v
        if isinstance(y, bool) or isinstance(x, bool):
            continue
        if isinstance(y, (int, float)) and isinstance(x, (int, float)):
            out.append((float(y), float(x)))
    return out


def _moments(name, ys, xs, *, least=1, both_vary=False):
    """(n, mean x, mean y, Sxx, Syy, Sxy) of the numeric pairs, two-pass; or the error
    value: the argument rules of :func:`_pairs`, ``#DIV/0!`` for fewer than ``least`` pairs
    or x values that do not vary (nor the y values, with ``both_vary``)."""
    pairs = _pairs(name, ys, xs)
    if isinstance(pairs, ExcelError):
        return pairs
    n = len(pairs)
    if n < least or n == 0:
        return _div0(f"{name}: needs at least {max(least, 1)} pair(s) of numbers")
    my = math.fsum(p[0] for p in pairs) / n
    mx = math.fsum(p[1] for p in pairs) / n
    sxx = math.fsum((x - mx) ** 2 for _, x in pairs)
    syy = math.fsum((y - my) ** 2 for y, _ in pairs)
    sxy = math.fsum((x - mx) * (y - my) for y, x in pairs)
    if sxx == 0 or (both_vary and syy == 0):
        return _div0(f"{name}: the values do not vary")
    return n, mx, my, sxx, syy, sxy


def slope(known_ys=None, known_xs=None):
    """Excel's SLOPE: Sxy / Sxx."""
    m = _moments("SLOPE", known_ys, known_xs)
    return m if isinstance(m, ExcelError) else m[5] / m[3]


def intercept(known_ys=None, known_xs=None):
    """Excel's INTERCEPT: mean y - SLOPE * mean x."""
    m = _moments("INTERCEPT", known_ys, known_xs)
    return m if isinstance(m, ExcelError) else m[2] - m[5] / m[3] * m[1]


def forecast(x=None, known_ys=None, known_xs=None):
    """Excel's FORECAST / FORECAST.LINEAR: mean y + SLOPE * (x - mean x); x is coerced as a
    typed argument (text that is not a number is #VALUE!)."""
    xv = _scalar_number("FORECAST", x)
    if isinstance(xv, ExcelError):
        return xv
    m = _moments("FORECAST", known_ys, known_xs)
    return m if isinstance(m, ExcelError) else m[2] + m[5] / m[3] * (xv - m[1])


def correl(array1=None, array2=None):
    """Excel's CORREL / PEARSON: Sxy / sqrt(Sxx * Syy)."""
    m = _moments("CORREL", array1, array2, both_vary=True)
    return m if isinstance(m, ExcelError) else m[5] / math.sqrt(m[3] * m[4])


def rsq(known_ys=None, known_xs=None):
    """Excel's RSQ: the square of PEARSON."""
    r = correl(known_ys, known_xs)
    return r if isinstance(r, ExcelError) else r * r


def steyx(known_ys=None, known_xs=None):
    """Excel's STEYX: sqrt((Syy - Sxy^2 / Sxx) / (n - 2)), from three pairs on."""
    m = _moments("STEYX", known_ys, known_xs, least=3)
    if isinstance(m, ExcelError):
        return m
    n, _, _, sxx, syy, sxy = m
    return math.sqrt(max(0.0, syy - sxy * sxy / sxx) / (n - 2))


def npv(rate=None, *values):
    """Excel's NPV(rate, value1, ...): sum v_i / (1+rate)^i. In ranges and array constants
    only numbers count (text, logicals, blanks are skipped, errors propagate); typed
    arguments: numbers, logicals (1/0) and numeric text count, other text is #VALUE!."""
    r = _scalar_number("NPV", rate)
    if isinstance(r, ExcelError):
        return r
    flows = _collect("NPV", values)
    if isinstance(flows, ExcelError):
        return flows
    if r == -1.0:
        return _div0("NPV: rate is -100%")
    total, f = 0.0, 1.0
    for v in flows:
        f *= 1.0 + r
        total += v / f
    return total


def _kth(name, array, k, largest):
    if isinstance(array, ExcelError):
        return array
    if isinstance(k, bool):
        k = 1.0 if k else 0.0
    elif k is None:
        return _num(f"{name}: k is empty")
    else:
        k = _scalar_number(name, k)
        if isinstance(k, ExcelError):
            return k
    if _is_range(array):
        xs = []
        for v in _cells(array):
            if isinstance(v, ExcelError):
                return v
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                xs.append(float(v))
    else:
        v = _scalar_number(name, array)
        if isinstance(v, ExcelError):
            return _num(f"{name}: no numbers")
        xs = [v]
    if k < 1:
        return _num(f"{name}: k = {k} is below 1")
    idx = math.ceil(k - 1e-12)  # Excel rounds a fractional k up: k = 1.1 is the 2nd value
    if idx > len(xs):
        return _num(f"{name}: k = {k} is out of range 1..{len(xs)}")
    xs.sort(reverse=largest)
    return xs[idx - 1]


def large(array=None, k=None):
    """Excel's LARGE(array, k): the k-th largest number; a fractional k is rounded up
    (LARGE(x,1.1) is the 2nd largest), TRUE is 1; k < 1 or > count is #NUM!."""
    return _kth("LARGE", array, k, True)


def small(array=None, k=None):
    """Excel's SMALL(array, k), rules as LARGE."""
    return _kth("SMALL", array, k, False)


#: The statistics computed on our side (arguments as arrays).
FIXES = {
    "VAR": _variance("VAR", True, False), "VAR.S": _variance("VAR.S", True, False),
    "VARP": _variance("VARP", False, False), "VAR.P": _variance("VAR.P", False, False),
    "VARA": _variance("VARA", True, True), "VARPA": _variance("VARPA", False, True),
    "STDEV": _stdev("STDEV", True, False), "STDEV.S": _stdev("STDEV.S", True, False),
    "STDEVP": _stdev("STDEVP", False, False), "STDEV.P": _stdev("STDEV.P", False, False),
    "STDEVA": _stdev("STDEVA", True, True), "STDEVPA": _stdev("STDEVPA", False, True),
    "DEVSQ": devsq,
    "SLOPE": slope, "INTERCEPT": intercept, "FORECAST": forecast,
    "FORECAST.LINEAR": forecast, "CORREL": correl, "PEARSON": correl, "RSQ": rsq,
    "STEYX": steyx,
    "NPV": npv, "LARGE": large, "SMALL": small,
}
