"""Formulas for the LibreOffice cross-check of the formula engine (data, not tests)."""

from __future__ import annotations

import random

#: Data!A1:E20 — numbers, mixed values, sorted keys and text keys.
DATA_ROWS = 20


def data_cells() -> dict[tuple[int, int], object]:
    """Values of the Data sheet, by (row, col)."""
    rng = random.Random(20261128)
    cells: dict[tuple[int, int], object] = {}
    for r in range(1, DATA_ROWS + 1):
        cells[(r, 1)] = round(rng.uniform(-50, 50), 3)
        cells[(r, 2)] = float(rng.randint(1, 40))
        cells[(r, 4)] = float(r * 3)  # sorted ascending
        cells[(r, 5)] = f"key{r:02d}"
        cells[(r, 6)] = float(100 - r * 4)  # sorted descending
    # No logicals and no empty strings: LibreOffice stores TRUE as the number 1 and
    # "" as an empty cell, where Excel keeps both apart.
    mixed = [1.5, "text", "yes", None, "12", -3.0, "no", "Abc", None, 7.25,
             None, 0.0, "x y", 2.0, None, "TRUE", 4.5, "a", 9.0, None]
    for r, v in enumerate(mixed, start=1):
        if v is not None:
            cells[(r, 3)] = v
    return cells


def _arith(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.3:
        choice = rng.random()
        if choice < 0.5:
            return f"Data!A{rng.randint(1, DATA_ROWS)}"
        if choice < 0.7:
            return f"B{rng.randint(1, DATA_ROWS)}".replace("B", "Data!B")
        return str(rng.choice([1, 2, 3, 0.5, 10, 7, 0.25]))
    op = rng.choice(["+", "-", "*", "/", "+", "*"])
    left, right = _arith(rng, depth - 1), _arith(rng, depth - 1)
    if rng.random() < 0.3:
        return f"({left}{op}{right})"
    return f"{left}{op}{right}"


#: Functions the file format spells with the ``_xlfn.`` prefix (LibreOffice needs it).
NEWER_FUNCTIONS = ("IFNA", "XOR", "CONCAT", "MINIFS", "MAXIFS")

# Left out on purpose, because LibreOffice differs from Excel there: (-8)^(1/3) and 0^0
# (#NUM! in Excel), TRUE>1 (TRUE in Excel), SUM(1,TRUE,"2") (4 in Excel), text of TRUE
# ("TRUE" in Excel) and 1E+20&"" ("1E+20" in Excel). Unit tests cover Excel's answers.


def formulas() -> list[str]:
    """A few hundred native formulas over the Data sheet (all scalar-valued)."""
    rng = random.Random(7)
    out = [_arith(rng, 3) for _ in range(60)]
    out += ["-2^2", "2^3^2", "-Data!A1^2", "Data!B2^0.5", "10%*Data!B3", "(Data!A4)%",
            "Data!B1^-1", "2^-2", "1/0", "Data!A1/(Data!B1-Data!B1)",
            "1+2*3-4/5", "Data!C1+1", "Data!C5+1", "Data!C2+1", "Data!C3*2", "Data!C4*2",
            "0.1+0.2-0.3", "1E-3*5", "3=3", "\"a\"=\"A\"", "1<\"a\"", "\"b\">\"A\"",
            "Data!C4=0", "Data!C4=\"\"", "Data!A1<>Data!A2", "Data!B1>=Data!B2"]
    cells = [f"Data!A{r}" for r in range(1, 9)]
    positive = [f"Data!B{r}" for r in range(1, 9)]
    for x in cells:
        out += [f"ABS({x})", f"SIGN({x})", f"INT({x})", f"ROUND({x},1)", f"ROUND({x},-1)",
                f"ROUNDUP({x},2)", f"ROUNDDOWN({x},0)", f"MOD({x},7)", f"MOD({x},-3)",
                f"EXP({x}/20)", f"TRUNC({x},1)"]
    for p in positive:
        out += [f"SQRT({p})", f"LN({p})", f"LOG10({p})", f"LOG({p},2)", f"LOG({p})",
                f"POWER({p},1.5)", f"CEILING({p}*1.37,5)", f"FLOOR({p}*1.37,5)",
                f"CEILING({p}/3,0.5)", f"FLOOR({p}/3,0.25)"]
    ranges = ["Data!A1:A20", "Data!B1:B20", "Data!C1:C20", "Data!A1:C20", "Data!B3:B7"]
    for rg in ranges:
        out += [f"SUM({rg})", f"AVERAGE({rg})", f"MIN({rg})", f"MAX({rg})", f"COUNT({rg})",
                f"COUNTA({rg})", f"COUNTBLANK({rg})", f"SUMSQ({rg})", f"MEDIAN({rg})"]
    out += ["SUM(1,TRUE)", "SUM(Data!C3)", "AVERAGE(Data!C1:C20,10)", "PRODUCT(Data!B1:B6)",
            "MAX(Data!A1:A20,100)", "MIN(-100,Data!A1:A20)", "COUNT(1,\"a\",TRUE)",
            "COUNTA(1,\"\",\"a\")", "SUMPRODUCT(Data!A1:A20,Data!B1:B20)",
            "SUMPRODUCT((Data!A1:A20>0)*Data!B1:B20)", "SUMPRODUCT(Data!C1:C20,Data!B1:B20)",
            "SUMPRODUCT(Data!A1:A10,Data!B1:B20)"]
    for r in range(1, 21, 2):
        a, c = f"Data!A{r}", f"Data!C{r}"
        out += [f"IF({a}>0,\"pos\",\"neg\")", f"IF({a}>0,{a})", f"IFERROR(1/{a},-1)",
                f"IFERROR({c}*2,\"bad\")", f"ISNUMBER({c})", f"ISTEXT({c})", f"ISBLANK({c})",
                f"ISERROR({c}/1)", f"AND({a}>0,{c})", f"OR({a}>10,{a}<-10)", f"NOT({a}>0)",
                f"ISLOGICAL({c})", f"N({c})"]
    out += ["IF(Data!C4,1,2)", "IFNA(NA(),5)", "IFNA(1/0,5)", "ISNA(MATCH(999,Data!D1:D20,0))",
            "AND(Data!C1:C20)", "OR(Data!C5:C8)", "XOR(TRUE,TRUE,TRUE)"]
    for k in (1, 7, 13, 20, 61):
        out += [f"INDEX(Data!A1:B20,{min(k, 20)},2)", f"MATCH({k * 3},Data!D1:D20,0)",
                f"MATCH({k * 3 + 1},Data!D1:D20,1)", f"MATCH({k * 2},Data!F1:F20,-1)",
                f"MATCH(\"key{k:02d}\",Data!E1:E20,0)", f"VLOOKUP({k * 3},Data!D1:E20,2,FALSE)",
                f"VLOOKUP({k * 3 + 2},Data!D1:E20,2,TRUE)", f"CHOOSE({k % 3 + 1},\"a\",\"b\",\"c\")",
                f"HLOOKUP(\"x\",{{\"a\",\"x\";1,{k}}},2,FALSE)"]
    out += ["MATCH(\"KEY1*\",Data!E1:E20,0)", "MATCH(\"key?5\",Data!E1:E20,0)",
            "INDEX(Data!D1:D20,5)", "INDEX(Data!A1:E1,3)", "SUM(INDEX(Data!A1:B20,0,2))",
            "ROWS(Data!A1:C7)", "COLUMNS(Data!A1:C7)", "ROWS({1;2;3})", "INDEX({1,2;3,4},2,2)",
            "SUM(Data!A1:INDEX(Data!A1:A20,5))", "ROW(Data!B7)", "COLUMN(Data!C2)"]
    words = ["\"Hello World\"", "\"  padded   text \"", "Data!E3", "Data!C2", "123.5",
             "Data!A2", "Data!B3"]
    for w in words:
        out += [f"UPPER({w})", f"LOWER({w})", f"LEN({w})", f"TRIM({w})", f"LEFT({w},3)",
                f"RIGHT({w},2)", f"MID({w},2,3)", f"{w}&\"|\"", f"CONCATENATE({w},\"-\",1)",
                f"EXACT({w},UPPER({w}))", f"SUBSTITUTE({w},\"l\",\"L\")", f"REPT({w},2)"]
    for x in ["0.256", "1234.567", "-1234.567", "0", "3", "0.5", "12345678"]:
        out += [f"TEXT({x},\"0.0%\")", f"TEXT({x},\"#,##0.00\")", f"TEXT({x},\"0\")",
                f"TEXT({x},\"0.000\")", f"TEXT({x},\"#,##0\")", f"TEXT({x},\"00000\")",
                f"TEXT({x},\"0.00E+00\")"]
    out += ["VALUE(\"12.5\")", "VALUE(\"1,234\")", "VALUE(\"50%\")", "1/3&\"\"", "2/3*1000&\"\"",
            "123456789012&\"\"", "-0.125&\"x\""]
    for r in (1, 4, 9):
        out += [f"SUMIF(Data!A1:A20,\">0\")", f"SUMIF(Data!B1:B20,\">{r * 3}\",Data!A1:A20)",
                f"COUNTIF(Data!B1:B20,{r * 2})", f"COUNTIF(Data!C1:C20,\"<>\")",
                f"COUNTIF(Data!E1:E20,\"key1*\")", f"AVERAGEIF(Data!B1:B20,\"<={r * 4}\")",
                f"SUMIFS(Data!A1:A20,Data!B1:B20,\">{r}\",Data!D1:D20,\"<40\")",
                f"COUNTIFS(Data!B1:B20,\">={r}\",Data!A1:A20,\"<0\")",
                f"COUNTIF(Data!C1:C20,\"\")"]
    out += ["NPV(0.1,Data!B1:B5)", "PMT(0.05/12,360,250000)", "FV(0.04,10,-100,-1000)",
            "PV(0.06,20,-5000)", "PMT(0,12,1200)", "PI()*2", "TRUE()", "FALSE()"]
    return out
