"""Column letters and numbers, shared by the package reader and the formula engine."""


def column_number(letters: str) -> int:
    """Return the 1-based column number of column letters such as ``"AB"`` (28)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def column_letters(col: int) -> str:
    """Return the letters of a 1-based column number (28 -> ``"AB"``)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
