"""Full mode on IronCalc: Excel's own cached values, the rewrites before IronCalc, and
failures inside the engine."""

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xlmodel import harness, workbook
from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.harness import engine, formula_text, loading

ROOT = Path(__file__).resolve().parents[1]
EXCEL_SAVED = ROOT / ".." / "shared" / "data" / "excel-saved"

#: Workbooks saved by Excel whose every formula cell full mode reproduces: the expected
#: values are the ones Excel cached (dates, financial, lookup, text, statistics,
#: trigonometry, a dynamic-array spill, cross-sheet references and defined names).
REPRODUCED = [
    "ACOS", "ASIN", "ATAN2", "COSH", "DATE", "DATEDIF", "DAY", "DAYS", "EDATE", "EOMONTH",
    "FIND", "IRR", "NPV", "PMT", "SLN", "XNPV", "YEARFRAC", "VLOOKUP", "COUNTIFS",
    "SUMIFS", "SUMPRODUCT", "CONCAT", "MID", "ROUND", "CEILING", "choose", "cross_sheet",
    "defined_names", "INFORMATION", "logical",
]


def excel_saved(name: str) -> Path:
    path = EXCEL_SAVED / f"{name}.xlsx"
    if not path.exists():
        pytest.skip("the Excel-saved workbooks are not beside this checkout")
    return path


@pytest.mark.parametrize("name", REPRODUCED)
def test_full_mode_reproduces_what_excel_computed(name):
    path = excel_saved(name)
    report = harness.check(path, "full")
    formulas = sum(1 for _ in workbook.read_workbook(path).formula_cells())
    assert report.ok, harness.format_report(report)
    assert not report.not_recomputed
    assert report.checked >= formulas  # every formula cell (and each cell a spill fills)


def test_a_spill_saved_by_excel_is_recomputed_in_place():
    # choose.xlsx A3 is =CHOOSE(1,B1:D1,E1,11) saved as a dynamic array over A3:C3, its
    # children with cached values: they are the spill's, not inputs
    report = harness.check(excel_saved("choose"), "full")
    assert {("Sheet1", "B3"), ("Sheet1", "C3")} <= set(report.recomputed)
    assert report.recomputed[("Sheet1", "B3")] == 2.0


def test_saved_libreoffice_booleans_equal_recomputed_logicals():
    # logical.xlsx was last saved by LibreOffice, which writes TRUE as the number 1
    assert harness.same(1.0, True) and harness.same(0.0, False)
    assert not harness.same(1.0, False) and not harness.same(2.0, True)
    assert not harness.same(True, 1.0)  # a saved logical stays a logical


def _book(tmp_path, cells, name="book.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for ref, value in cells.items():
        ws[ref] = value
    path = tmp_path / name
    wb.save(path)
    return path


def test_whole_column_lookups_are_bounded_without_changing_their_answers(tmp_path):
    assert formula_text.bound_whole_columns("VLOOKUP(3,A:B,2,FALSE)", 1200) == (
        "VLOOKUP(3,A1:B1200,2,FALSE)")
    assert formula_text.bound_whole_columns("SUM('My Data'!$A:$C)", 9) == "SUM('My Data'!$A$1:$C$9)"
    assert formula_text.bound_whole_columns('"A:B"&ROWS(A:A)', 9) == '"A:B"&ROWS(A:A)'
    assert formula_text.bound_whole_columns("VLOOKUP(1,$A$2:$B$65536,2,0)", 1500) == (
        "VLOOKUP(1,$A$2:$B$1500,2,0)")
    assert formula_text.bound_whole_columns("SUM(A1:A99)+ROWS(B1:B99999)", 50) == (
        "SUM(A1:A99)+ROWS(B1:B99999)")
    cells = {f"A{r}": r for r in range(1, 6)} | {f"B{r}": 10.0 * r for r in range(1, 6)}
    cells |= {"D1": "=VLOOKUP(3,A:B,2,FALSE)", "D2": "=MATCH(4,A:A,0)", "D3": "=ROWS(A:A)",
              "D4": "=SUMPRODUCT(A:A,B:B)", "D5": "=INDEX(B:B,900)",
              "D6": "=SUMPRODUCT(A1:A65536,B1:B65536)"}
    path = _book(tmp_path, cells)
    values = engine.recalculate(workbook.read_workbook(path)).values
    # worked by hand: B3; the 4 in A4; all rows of a column; 10 * (1+4+9+16+25); a blank
    # (up to 1,000 rows below the last one in use; further down INDEX would give #REF!)
    assert values[("S", 1, 4)] == 30.0
    assert values[("S", 2, 4)] == 4.0
    assert values[("S", 3, 4)] == 1_048_576.0
    assert values[("S", 4, 4)] == 550.0
    assert values[("S", 5, 4)] == 0.0
    assert values[("S", 6, 4)] == 550.0


def test_a_name_scoped_to_another_sheet_is_read_through_its_sheet(tmp_path):
    assert formula_text.expand_qualified_names("'Calc Sheet'!Scen&Calc!A1",
                                         {("CALC SHEET", "SCEN"): "'Calc Sheet'!$A$1"}) == (
        "('Calc Sheet'!$A$1)&Calc!A1")


def test_static_reasons():
    assert formula_text.static_reason("[1]Prices!B2*2")[0] == formula_text.EXTERNAL_LINK
    assert formula_text.static_reason("SUM(Jan:Dec!B2)")[0] == formula_text.THREE_D_REFERENCE
    assert formula_text.static_reason("SUM('Jan 1:Dec 31'!B2)")[0] == formula_text.THREE_D_REFERENCE
    assert formula_text.static_reason("TODAY()-A1") == (formula_text.VOLATILE, "TODAY")
    assert formula_text.static_reason("SUM(Sales[Amount])")[0] == formula_text.STRUCTURED_REFERENCE
    assert formula_text.static_reason("TABLE(,B1)", True)[0] == formula_text.DATA_TABLE
    for fine in ("SUM(A1:B2)", "Sheet2!A1:B2", '"[1]"&"NOW()"', "INDEX(A:A,2)", "RANK(A1,A:A)"):
        assert formula_text.static_reason(fine) is None, fine


@pytest.mark.parametrize(("formula", "environment"), [
    ('CELL("address",B3)', False),       # "$B$3" wherever the file is
    ('CELL("Col",C5)+CELL("row",C5)', False),
    ('CELL("contents",A1)&CELL("type",A1)', False),
    ('CELL("filename",A1)', True),       # the file's own path
    ('CELL("format",A1)', True),         # formats are not read
    ('CELL("address")', True),           # the last cell changed
    ('CELL("address",Other!A1)', True),  # "[Book1.xlsx]Other!$A$1" names the file
    ('CELL(A2,B3)', True),               # what it asks for is not known from the text
    ('INFO("numfile")', True),
])
def test_cell_is_recomputed_where_its_reference_alone_answers(formula, environment):
    reason = formula_text.static_reason(formula)
    assert (reason is not None and reason[0] == formula_text.ENVIRONMENT) is environment


def test_a_rust_panic_in_the_engine_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import ironcalc

    from xlmodel import cli

    def panic(self):
        engine._guarded("recalculating", ironcalc.test_panic)

    path = _book(tmp_path, {"A1": 1, "B1": "=A1+1"})
    workbook.write_cached_values(path, path, {("S", "B1"): 2.0})
    monkeypatch.setattr(engine._Model, "evaluate", panic)
    with pytest.raises(WorkbookError, match="formula engine failed while recalculating"):
        harness.check(path, "full")
    assert cli.main(["check", "--mode", "full", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xlmodel check: error:"), err
    assert "Traceback" not in err


def test_a_panic_is_a_base_exception_as_the_guard_expects():
    import ironcalc

    with pytest.raises(BaseException) as caught:  # noqa: B017 - the point of the test
        ironcalc.test_panic()
    assert not isinstance(caught.value, Exception)
    with pytest.raises(WorkbookError):
        engine._guarded("probing", ironcalc.test_panic)


def test_circular_cells_with_saved_values_keep_them(tmp_path):
    path = _book(tmp_path, {"A1": "=B1/2+1", "B1": "=A1"})
    workbook.write_cached_values(path, path, {("S", "A1"): 2.0, ("S", "B1"): 2.0})
    report = harness.check(path, "full")
    assert report.ok and report.reasons() == {formula_text.CIRCULAR: 2}
    run = subprocess.run([sys.executable, "-m", "xlmodel", "check", "--mode", "full",
                          "--json", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and '"circular reference (iterative calculation)": 2' in run.stdout


def test_error_values_are_compared_as_values(tmp_path):
    path = _book(tmp_path, {"A1": 0, "B1": "=1/A1", "C1": "=NA()"})
    workbook.write_cached_values(path, path, {("S", "B1"): ExcelError("#DIV/0!"),
                                           ("S", "C1"): ExcelError("#N/A")})
    assert harness.check(path, "full").ok
    workbook.write_cached_values(path, path, {("S", "B1"): ExcelError("#NUM!")})
    report = harness.check(path, "full")
    assert [m.where for m in report.mismatches] == ["S!B1"]


def test_a_chain_through_our_functions_is_recomputed_from_its_inputs(tmp_path):
    """native -> ours -> native -> ours: IronCalc and the catalogue take turns."""
    path = _book(tmp_path, {"A1": 1, "B1": "=A1*2", "C1": "=ANNUALIZED_TOKEN_RETURN(B1)",
                            "D1": "=C1+1", "E1": "=COMPUTE_EQUIVALENCE(1,D1,1)"})
    run = subprocess.run([sys.executable, "-m", "xlmodel", "calc", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = workbook.read_workbook(path)
    # worked by hand: B1 = 2; C1 = 2^(1/2) - 1; D1 = 2^(1/2); E1 = 1 * 2^(2^(1/2) / 1)
    assert data.value("S", "B1") == 2.0
    assert data.value("S", "C1") == pytest.approx(2 ** 0.5 - 1, rel=1e-12)
    assert data.value("S", "D1") == pytest.approx(2 ** 0.5, rel=1e-12)
    assert data.value("S", "E1") == pytest.approx(2 ** (2 ** 0.5), rel=1e-12)
    assert harness.check(path, "full").ok
    changed = tmp_path / "changed.xlsx"
    workbook.write_cached_values(path, changed, {("S", "A1"): 0.5})
    report = harness.check(changed, "full")
    assert sorted(m.where for m in report.mismatches) == ["S!B1", "S!C1", "S!D1", "S!E1"]
    assert report.recomputed[("S", "E1")] == pytest.approx(2 ** 2, rel=1e-12)  # C1 = 1


def test_three_d_sums_are_recomputed_sheet_by_sheet(tmp_path):
    assert formula_text.expand_three_d("SUM('Jan:Mar Q1'!B2:C3)/3", ["Jan", "Feb", "Mar Q1"]) == (
        "SUM('Jan'!B2:C3,'Feb'!B2:C3,'Mar Q1'!B2:C3)/3")
    assert formula_text.expand_three_d("VLOOKUP(1,Jan:Feb!A1:B2,2)", ["Jan", "Feb"]) is None
    wb = openpyxl.Workbook()
    for k, name in enumerate(("Jan", "Feb", "Mar")):
        ws = wb.active if k == 0 else wb.create_sheet(name)
        ws.title = name
        ws["A1"] = k + 1.5
    wb["Jan"]["B1"] = "=SUM(Jan:Mar!A1)"
    wb["Jan"]["B2"] = "=AVERAGE(Feb:Mar!A1)*2"
    wb["Jan"]["B3"] = "=INDEX(Jan:Mar!A1,1)"  # not a list of cells: kept
    path = tmp_path / "months.xlsx"
    wb.save(path)
    workbook.write_cached_values(path, path, {("Jan", "B1"): 7.5, ("Jan", "B2"): 6.0,
                                           ("Jan", "B3"): 1.5})
    report = harness.check(path, "full")
    # worked by hand: 1.5 + 2.5 + 3.5; (2.5 + 3.5) / 2 * 2
    assert report.ok and report.checked == 2
    assert report.recomputed[("Jan", "B1")] == 7.5
    assert report.reasons() == {formula_text.THREE_D_REFERENCE: 1}


def test_structured_references_to_a_table_are_recomputed(tmp_path):
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Region", "Amount", "Qty"])
    for row in (("N", 10, 1), ("S", 20, 2), ("E", 30, 3), ("W", 40, 4)):
        ws.append(list(row))
    ws.append(["Total", None, None])
    table = Table(displayName="Sales", ref="A1:C6")
    table.totalsRowCount = 1
    ws.add_table(table)
    ws["E1"] = "=SUM(Sales[Amount])"
    ws["E2"] = "=SUM(Sales[[Amount]:[Qty]])"
    ws["E3"] = "=COUNTA(Sales[#All])"
    ws["D2"] = "=Sales[[#This Row],[Amount]]*Sales[[#This Row],[Qty]]"
    ws["E4"] = "=ROWS(Sales[#Data])"
    ws["E5"] = "=INDEX(Sales[[#Headers],[Qty]],1)"
    ws["E6"] = "=SUM(Nope[Amount])"
    path = tmp_path / "table.xlsx"
    wb.save(path)
    # worked by hand: 10+20+30+40; plus 1+2+3+4; 3 headers, 12 cells, "Total"; 10 * 1; 4 rows
    expected = {"E1": 100.0, "E2": 110.0, "E3": 16.0, "D2": 10.0, "E4": 4.0, "E5": "Qty"}
    workbook.write_cached_values(path, path, {("Data", ref): v for ref, v in expected.items()}
                              | {("Data", "E6"): 0.0})
    report = harness.check(path, "full")
    assert report.ok, harness.format_report(report)
    assert report.checked == len(expected)
    assert report.reasons() == {formula_text.STRUCTURED_REFERENCE: 1}  # no table called Nope
    wrong = tmp_path / "wrong.xlsx"
    workbook.write_cached_values(path, wrong, {("Data", "E1"): 99.0})
    assert [m.where for m in harness.check(wrong, "full").mismatches] == ["Data!E1"]


def test_a_hostile_table_part_is_refused_in_one_line(tmp_path):
    import zipfile

    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A", "B"])
    ws.append([1, 2])
    ws.add_table(Table(displayName="T", ref="A1:B2"))
    ws["D1"] = "=SUM(T[A])"
    good = tmp_path / "good.xlsx"
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.startswith("xl/tables/"):
                if body.startswith(b"<?xml"):
                    body = body.split(b"?>", 1)[1]
                body = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]>' + body
            dst.writestr(item, body)
    run = subprocess.run([sys.executable, "-m", "xlmodel", "check", "--mode", "full",
                          str(bad)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr and "DTD" in run.stderr


def test_legacy_formulas_intersect_their_ranges_with_their_row(tmp_path):
    """A formula saved without dynamic-array metadata is read as Excel reads it: a range
    where one value is expected is the cell of that range in the formula's own row."""
    assert formula_text.needs_legacy_reading("SIN(A1:A3)")
    assert formula_text.needs_legacy_reading("A1:A3*2")
    assert not formula_text.needs_legacy_reading("SUM(A1:A3)+VLOOKUP(A1,Data!A:B,2,FALSE)")
    path = _book(tmp_path, {"A1": 1, "A2": 2, "A3": 3, "B2": "=SIN(A1:A3)",
                            "C2": "=A1:A3*2", "D3": "=A1:A3", "E2": "=SUM(A1:A3)"})
    values = engine.recalculate(workbook.read_workbook(path)).values
    # worked by hand: SIN(A2); A2 * 2; A3; the whole range
    assert values[("S", 2, 2)] == pytest.approx(0.9092974268256817, rel=1e-15)
    assert values[("S", 2, 3)] == 4.0
    assert values[("S", 3, 4)] == 3.0
    assert values[("S", 2, 5)] == 6.0
    assert ("S", 3, 2) not in values  # nothing spilled


def test_the_legacy_screen_gives_the_same_answer_for_every_row_number():
    """needs_legacy_reading answers once per shape (digits replaced): the answer must be the
    one the screen gives on the formula itself, for every formula Excel saved here and for
    formulas whose sheet and function names hold digits."""
    import random

    formulas = [c.formula for p in sorted(EXCEL_SAVED.glob("*.xlsx"))
                for c in workbook.read_workbook(p).formula_cells()]
    rng = random.Random(5)
    # (# stands for a row number)
    parts = ["SIN(A#:A#)", "LOG10(B#:B#)", "SUM(C#:C#)", "Sheet2!A#:A#", "'Q1 2024'!B#:B#",
             "ATAN2(A#:A#,1)", "DAYS360(A#,B#:B#)", "IF(A#>1,B#:B#,0)", "\"#:#\"", "#:#",
             "INDEX(A#:B#,2,1)", "A#:A#*2", "MAX(Data1!A:A)", "IMLOG2(C#:C#)", "LOG10(A#)"]
    for _ in range(2_000):
        text = rng.choice(["{}+{}", "{}*{}", "SUM({},{})", "{}&{}", "{}"]).format(
            rng.choice(parts), rng.choice(parts))
        while "#" in text:
            text = text.replace("#", str(rng.randint(1, 99_999)), 1)
        formulas.append(text)
    legacy = [f for f in formulas if formula_text._needs_legacy_reading(f)]
    assert len(legacy) > 100 and len(formulas) - len(legacy) > 100  # both answers occur
    for f in formulas:
        assert formula_text.needs_legacy_reading(f) == formula_text._needs_legacy_reading(f), f


def test_the_functions_of_all_formulas_at_once_include_each_formulas_own():
    """The one-pass list of functions (which lets full mode skip the per-formula look for a
    function IronCalc lacks) holds every function each formula calls, text constants with
    quotes, parentheses and new lines included."""
    formulas = [c.formula for p in sorted(EXCEL_SAVED.glob("*.xlsx"))
                for c in workbook.read_workbook(p).formula_cells()]
    formulas += ['IF(A1="x(",_xlfn.CONCAT("a""b(",B1),NOW())', '"unclosed&SUM(', "LEN(\"\n\")",
                 'A1&"\nFORECAST.ETS("&ATAN2(1,2)', "_xlfn._xlws.SORT(A1:A3)"]
    every = formula_text.any_called_functions(formulas)
    own = set()
    for f in formulas:
        own.update(formula_text.called_functions(f))
        assert set(formula_text.called_functions(f)) <= formula_text.any_called_functions([f])
    assert own <= every and {"NOW", "CONCAT", "ATAN2", "SORT", "LEN"} <= own
    assert len(own) > 40


def test_a_formula_the_engine_refuses_is_false_and_a_panic_while_setting_is_one_error():
    import ironcalc

    def refuse(*args):
        raise ValueError("cannot parse")

    assert engine._accepted("formula", "=1+", refuse, 0, 1, 1) is False
    with pytest.raises(WorkbookError, match="formula engine failed while setting formula"):
        engine._accepted("formula", "=1", ironcalc.test_panic)


def test_identical_calls_are_computed_once_only_where_the_cell_cannot_matter(tmp_path):
    # COMPUTE_EQUIVALENCE(P, delta, T) = P * 2^(delta / T), worked by hand per row
    cells = {"A1": 1, "A2": 1, "A3": 3,
             "B1": "=COMPUTE_EQUIVALENCE(1,A1,1)", "B2": "=COMPUTE_EQUIVALENCE(1,A1,1)",
             "C1": "=COMPUTE_EQUIVALENCE(1,ROW(),1)", "C2": "=COMPUTE_EQUIVALENCE(1,ROW(),1)",
             "C3": "=COMPUTE_EQUIVALENCE(1,ROW(),1)"}
    path = _book(tmp_path, cells)
    run = subprocess.run([sys.executable, "-m", "xlmodel", "calc", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = workbook.read_workbook(path)
    assert [data.value("S", r) for r in ("B1", "B2")] == [2.0, 2.0]
    assert [data.value("S", f"C{r}") for r in (1, 2, 3)] == [2.0, 4.0, 8.0]
    # one saved value off: that cell alone differs, though its formula is B1's
    workbook.write_cached_values(path, path, {("S", "B2"): 3.0})
    report = harness.check(path, "full")
    assert [m.where for m in report.mismatches] == ["S!B2"]


def test_which_formulas_may_share_one_result():
    assert loading._is_position_free('ANNUALIZED_TOKEN_RETURN(Inputs!C3)')
    assert loading._is_position_free('IFERROR(BREAKEVEN_LAUNCH_COST("essay"),0)')
    for text in ("ANNUALIZED_TOKEN_RETURN(A1:A3)", "ANNUALIZED_TOKEN_RETURN(ROW())",
                 "ANNUALIZED_TOKEN_RETURN(Rate)", "ANNUALIZED_TOKEN_RETURN(A1#)",
                 "ANNUALIZED_TOKEN_RETURN(RAND())", "ANNUALIZED_TOKEN_RETURN(@A1)",
                 "ANNUALIZED_TOKEN_RETURN(INDIRECT(\"A1\"))", "ANNUALIZED_TOKEN_RETURN(A:A)"):
        assert not loading._is_position_free(text), text


def test_an_error_value_written_in_a_formula_is_not_a_sheet(tmp_path):
    """Excel writes #REF! where a reference was deleted: =SUM(#REF!) is a formula it saves,
    and #NULL!, #NUM! or #VALUE! may be written in one too. None of them names a sheet."""
    assert formula_text.missing_sheet("SUM(#REF!)+ERROR.TYPE(#NULL!)", ["Sheet"]) is None
    assert formula_text.missing_sheet("IFERROR(#NUM!,Gone!A1)", ["Sheet"]) == "Gone"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "=ERROR.TYPE(#NULL!)"
    sheet["A2"] = "=IFERROR(#REF!,5)"
    path = tmp_path / "errors.xlsx"
    book.save(path)
    got = harness.check(path, "full").recomputed
    assert (got[("Sheet", "A1")], got[("Sheet", "A2")]) == (1.0, 5.0)
