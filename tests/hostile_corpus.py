"""Hostile and unusual workbooks, built programmatically, with what the harness must do.

Each case writes one file and names the outcome ``check`` must give:

* ``"refuse"``: exit 2 with one line ``xlmodel check: error: FILE: ...`` matching ``reason``;
* ``"pass"``: exit 0 (the saved values are right and the harness checks them);
* ``"differ"``: exit 1 (a saved value is wrong and the harness sees it);
* ``"no-pass"``: anything but exit 0 (exit 1 or 2), no traceback;
* ``"any"``: whatever the verdict, no traceback, no hang, and exit 2 only with one line;
* ``"kept"``: exit 0 with the cell reported as not recomputed (its saved value kept), and
  exit 1 with ``--strict``: full mode never refuses a whole workbook for one native cell
  it cannot recompute (an external or 3-D reference, a function no engine has, a data
  table, a range too large to evaluate ...).

The same cases feed ``tests/test_harness_vetting.py`` and the sweep script
``benchmarks/hostile_sweep.py``, which also fuzzes the template workbooks.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
META_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA = (
    f'<metadata xmlns="{NS}" xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/'
    '2017/dynamicarray"><metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion='
    '"120000" copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-'
    '3c3f30c029c3}"><xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst>'
    '</bk></futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    "</metadata>"
)


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def cell(ref: str, value=None, formula: str | None = None, *, t: str | None = None,
         f_attrs: str = "", c_attrs: str = "") -> str:
    """One ``<c>`` element: a number, text (t="str"), error (t="e") or boolean."""
    if t is None:
        t = "str" if isinstance(value, str) else ("b" if isinstance(value, bool) else None)
    if isinstance(value, bool):
        value = int(value)
    attr = f' t="{t}"' if t else ""
    f = "" if formula is None else f"<f{f_attrs}>{esc(formula)}</f>"
    v = "" if value is None else f"<v>{esc(str(value))}</v>"
    return f'<c r="{ref}"{attr}{c_attrs}>{f}{v}</c>'


def rows(*cells_by_row: tuple[int, list[str]]) -> str:
    return "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in cells_by_row)


def package(path: Path, sheets: dict[str, str | bytes | None], *, names: str = "",
            strings: list[str] | None = None, dynamic: bool = False,
            replace: dict[str, bytes] | None = None) -> Path:
    """A minimal SpreadsheetML package; ``names`` is the raw ``<definedNames>`` content, and a
    sheet whose body is None has no part in the zip."""
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN_CT}"/>']
    rels, tags, parts = [], [], {}
    for i, (name, body) in enumerate(sheets.items(), start=1):
        part = f"xl/worksheets/sheet{i}.xml"
        overrides.append(f'<Override PartName="/{part}" ContentType="{SHEET_CT}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{R}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>')
        tags.append(f'<sheet name="{esc(name)}" sheetId="{i}" r:id="rId{i}"/>')
        if body is None:
            continue
        data = body if isinstance(body, bytes) else body.encode()
        parts[part] = (f'<worksheet xmlns="{NS}"><sheetData>'.encode() + data
                       + b"</sheetData></worksheet>")
    if strings is not None:
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CT}"/>')
        rels.append(f'<Relationship Id="rIdS" Type="{R}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
        parts["xl/sharedStrings.xml"] = (
            f'<sst xmlns="{NS}">' + "".join(f"<si><t>{esc(s)}</t></si>" for s in strings)
            + "</sst>").encode()
    if dynamic:
        overrides.append(f'<Override PartName="/xl/metadata.xml" ContentType="{META_CT}"/>')
        rels.append(f'<Relationship Id="rIdM" Type="{R}/sheetMetadata" Target="metadata.xml"/>')
        parts["xl/metadata.xml"] = METADATA.encode()
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/>{"".join(overrides)}</Types>').encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG_R}"><Relationship Id="rId1" '
            f'Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{NS}" xmlns:r="{R}"><sheets>{"".join(tags)}</sheets>{defined}'
            "</workbook>").encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG_R}">{"".join(rels)}</Relationships>').encode(),
        **parts,
        **(replace or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def one(path: Path, *cells: str, **kw) -> Path:
    """One sheet "S" with the cells on row 1."""
    return package(path, {"S": rows((1, list(cells)))}, **kw)


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], object]
    expect: str  # "refuse", "pass", "differ", "no-pass", "kept" or "any"
    reason: str = ""
    modes: tuple[str, ...] = ("local", "full")


CASES: dict[str, Case] = {}


def case(expect: str, reason: str = "", modes: tuple[str, ...] = ("local", "full")):
    def register(fn):
        CASES[fn.__name__] = Case(fn, expect, reason, modes)
        return fn
    return register


# --- formula size -----------------------------------------------------------------------------

@case("pass", modes=("full",))
def flat_1000_terms(path):
    """A sum of 1,000 cell references: 4,999 characters, legal in Excel."""
    return one(path, cell("A1", 1.5), cell("B1", 1500.0, "+".join(["A1"] * 1000)))


@case("pass")
def flat_1000_terms_with_our_function(path):
    expr = "+".join(["A1"] * 1000)
    return one(path, cell("A1", 0.001), cell("B1", 1.0, f"ANNUALIZED_TOKEN_RETURN({expr})"))


@case("pass", modes=("full",))
def flat_1000_concat(path):
    return one(path, cell("A1", "ab"), cell("B1", "ab" * 1000, "&".join(["A1"] * 1000)))


@case("pass", modes=("full",))
def unary_chain_4000(path):
    return one(path, cell("A1", 2.0), cell("B1", 2.0, "-" * 4000 + "A1"))


@case("refuse", r"nest|level")
def deep_parentheses_200(path):
    return one(path, cell("A1", 1.0, "(" * 200 + "1" + ")" * 200))


@case("refuse", r"nest|level")
def deep_functions_65(path):
    return one(path, cell("A1", 1.0, "ABS(" * 65 + "1" + ")" * 65))


@case("refuse", r"nest|level")
def deep_parentheses_in_our_call(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(" + "(" * 2000 + "1"
                          + ")" * 2000 + ")"))


@case("pass", modes=("full",))
def nesting_64_is_legal(path):
    return one(path, cell("A1", 1.0, "ABS(" * 64 + "1" + ")" * 64))


@case("refuse", r"8,?192 characters")
def formula_too_long(path):
    return one(path, cell("A1", 4501.0, "+".join(["1"] * 4501)))


@case("refuse", r"255 arguments")
def too_many_arguments(path):
    return one(path, cell("A1", 256.0, "SUM(" + ",".join(["1"] * 256) + ")"))


@case("pass", modes=("full",))
def flat_1500_array_constants(path):
    return one(path, cell("A1", 1501.0, "SUM(" + "{1}+" * 1500 + "1)"))


@case("kept", modes=("full",))
def deep_defined_name_chain(path):
    names = "".join(f'<definedName name="nm_{i}">nm_{i + 1}+1</definedName>'
                    for i in range(3000))
    names += '<definedName name="nm_3000">1</definedName>'
    return one(path, cell("A1", 3001.0, "nm_0"), names=names)


# --- huge regions -----------------------------------------------------------------------------

@case("kept", modes=("full",))
def sum_of_the_whole_grid(path):
    return one(path, cell("A1", 1.0), cell("B1", 12345.0, "SUM(A2:XFD1048576)"))


@case("pass", modes=("local",))
def local_mode_ignores_a_huge_range_it_does_not_evaluate(path):
    return one(path, cell("A1", 1.0), cell("B1", 12345.0, "SUM(A2:XFD1048576)"),
               cell("C1", 1.0, "ANNUALIZED_TOKEN_RETURN(A1)"))


@case("refuse", r"range|region|cells")
def our_function_over_the_whole_grid(path):
    return one(path, cell("A1", 1.0), cell("B1", 1.0, "ANNUALIZED_TOKEN_RETURN(A2:XFD1048576)"))


@case("kept", modes=("full",))
def defined_name_of_the_whole_grid(path):
    # the name is Excel's to hold; the native cell that sums it keeps its saved value
    return package(path, {"S": rows((1, [cell("A1", 1.0, "SUM(everything)")]),
                                    (2, [cell("B2", 1.0)]))},
                   names='<definedName name="everything">S!$B$2:$XFD$1048576</definedName>')


@case("refuse", r"range|region|cells")
def our_function_over_a_name_of_the_whole_grid(path):
    return package(path, {"S": rows((1, [cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(SUM(big))")]))},
                   names='<definedName name="whole">S!$B$2:$XFD$1048576</definedName>'
                         '<definedName name="big">whole</definedName>')


@case("kept", modes=("full",))
def whole_columns_across_the_sheet(path):
    # IronCalc would hold every cell of B:XFD down to the rows in use (2.2 GB)
    return one(path, cell("A1", 1.0, "SUM(B:XFD)"), cell("B1", 1.0))


@case("refuse", r"array|range|region|cells")
def array_formula_over_the_whole_grid(path):
    return one(path, cell("A1", 1.0, "1", f_attrs=' t="array" ref="A1:XFD1048576"'))


@case("refuse", r"array formulas cover past")
def many_large_array_formulas(path):
    """Each covers 300,000 cells, under the cell limit; together they are far past it."""
    return one(path, *[cell(f"{c}1", 1.0, "1", f_attrs=f' t="array" ref="{c}1:{c}300000"')
                       for c in "ABCDEFGHIJ"])


@case("refuse", r"array range|past|outside|grid|sheet")
def array_ref_past_the_grid(path):
    return one(path, cell("A1", 1.0, "1", f_attrs=' t="array" ref="A1:XFE1"'))


@case("refuse", r"array range|past|outside|grid|sheet")
def array_ref_past_the_last_row(path):
    return one(path, cell("A1", 1.0, "1", f_attrs=' t="array" ref="A1:A1048577"'))


@case("refuse", r"array range|sheet")
def array_ref_with_a_sheet_name(path):
    return package(path, {"S": rows((1, [cell("A1", 1.0, "1", f_attrs=' t="array" ref="T!A1:A2"'
                                              )])), "T": ""})


@case("refuse", r"array range")
def array_ref_garbage(path):
    return one(path, cell("A1", 1.0, "1", f_attrs=' t="array" ref="A1:ZZZZ9"'))


@case("no-pass")
def local_spill_off_the_sheet(path):
    return package(path, {"S": rows((1048576, [cell(
        "XFC1048576", 2026.0, "TOKEN_COST_CURVE(1,2026,2030,1)",
        f_attrs=' t="array" ref="XFC1048576"', c_attrs=' cm="1"')]))}, dynamic=True)


@case("kept", modes=("full",))
def sequence_1000_by_2000(path):
    return one(path, cell("A1", 1.0, "_xlfn.SEQUENCE(1000,2000)", f_attrs=' t="array" ref="A1"',
                          c_attrs=' cm="1"'), dynamic=True)


@case("pass", modes=("full",))
def sequence_sum_of_a_million(path):
    """SUM(SEQUENCE(1000,1000)) = n(n+1)/2 with n = 10^6: big but within the bound."""
    return one(path, cell("A1", 500000500000.0, "SUM(_xlfn.SEQUENCE(1000,1000))"))


@case("refuse", r"array elements")
def elementwise_work_past_the_budget(path):
    """Six million elements, four operators: the second is refused before it runs."""
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(SUM(((_xlfn.SEQUENCE(2000,3000)"
                          "*2+1)*3-1)/2))"))


@case("refuse", r"in all", modes=("full",))
def many_spills_together_past_the_limit(path):
    """Ten dynamic arrays of 100,000 cells each: under the limit alone, past it together."""
    return one(path, *[cell(f"{c}1", 1.0, "_xlfn.SEQUENCE(100000)", f_attrs=' t="array" '
                            f'ref="{c}1"', c_attrs=' cm="1"') for c in "ACEGIKMOQS"],
               dynamic=True)


@case("kept", modes=("full",))
def sequence_far_too_big(path):
    return one(path, cell("A1", 1.0, "SUM(_xlfn.SEQUENCE(100000,100000))"))


@case("kept", modes=("full",))
def offset_to_the_whole_grid(path):
    return one(path, cell("A1", 1.0), cell("B1", 1.0, "SUM(OFFSET(A1,0,0,1048576,16384))"))


@case("kept", modes=("full",))
def range_operator_to_the_whole_grid(path):
    return one(path, cell("A1", 1.0), cell("B1", 1.0, "SUM(A1:INDEX(A:XFD,1048576,16384))"))


# --- text ---------------------------------------------------------------------------------------

@case("pass", modes=("full",))
def concat_past_32767_is_value_error(path):
    return one(path, cell("A1", "x" * 20000), cell("B1", "#VALUE!", "A1&A1", t="e"))


@case("differ", modes=("full",))
def concat_past_32767_saved_as_text(path):
    return one(path, cell("A1", "x" * 20000), cell("B1", "x" * 32767, "LEFT(A1&A1,32767)"))


@case("pass", modes=("full",))
def rept_past_32767_is_value_error(path):
    return one(path, cell("A1", "#VALUE!", 'REPT("ab",20000)', t="e"))


@case("pass", modes=("full",))
def substitute_past_32767_is_value_error(path):
    return one(path, cell("A1", "#VALUE!", 'SUBSTITUTE(REPT("a",30000),"a",REPT("b",200))', t="e"))


@case("pass", modes=("full",))
def concat_of_a_big_range_past_32767_is_value_error(path):
    return package(path, {"S": rows(*[(r, [cell(f"A{r}", "x" * 1000)]) for r in range(1, 41)],
                                    (41, [cell("B41", "#VALUE!", "CONCAT(A1:A40)", t="e")]))})


# --- silent passes ------------------------------------------------------------------------------

@case("no-pass")
def three_d_reference(path):
    return package(path, {"S": rows((1, [cell("A1", 12345.0,
                                              "ANNUALIZED_TOKEN_RETURN(SUM(T:U!A1))")])),
                          "T": rows((1, [cell("A1", 1.0)])), "U": rows((1, [cell("A1", 1.0)]))})


@case("no-pass", modes=("full",))
def three_d_reference_native(path):
    return package(path, {"S": rows((1, [cell("A1", 12345.0, "SUM(T:U!A1)")])),
                          "T": rows((1, [cell("A1", 1.0)])), "U": rows((1, [cell("A1", 1.0)]))})


@case("no-pass")
def external_reference(path):
    return one(path, cell("A1", 12345.0, "ANNUALIZED_TOKEN_RETURN([1]Inputs!A1)"))


@case("kept", modes=("full",))
def external_reference_native(path):
    return one(path, cell("A1", 12345.0, "[1]Inputs!A1*2"))


@case("no-pass")
def external_prefix_on_our_function(path):
    return one(path, cell("A1", 12345.0, "[1]!BREAKEVEN_LAUNCH_COST()"))


@case("no-pass")
def external_prefix_quoted_on_our_function(path):
    return one(path, cell("A1", 12345.0, "'[1]'!BREAKEVEN_LAUNCH_COST()"))


@case("no-pass")
def our_function_inside_a_defined_name(path):
    return one(path, cell("A1", 12345.0, "p_star"),
               names='<definedName name="p_star">BREAKEVEN_LAUNCH_COST()</definedName>')


@case("no-pass")
def our_function_inside_a_sheet_defined_name(path):
    return one(path, cell("A1", 12345.0, "p_star"),
               names='<definedName name="p_star" localSheetId="0">_xldudf_BREAKEVEN_LAUNCH_COST'
                     '()</definedName>')


@case("no-pass")
def our_function_under_iferror_with_external_arg(path):
    return one(path, cell("A1", 12345.0, "IFERROR(BREAKEVEN_LAUNCH_COST([1]S!A1),12345)"))


@case("kept", modes=("full",))
def unknown_function_under_iferror(path):
    return one(path, cell("A1", 12345.0, "IFERROR(NOSUCHFUNCTION(1),12345)"))


@case("pass")
def correct_value_passes(path):
    """A halving time of 1 year gives a hurdle rate of 2^(1/1) - 1 = 1 (100 %/yr)."""
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(1)"))


# --- slow or huge XML ---------------------------------------------------------------------------

@case("refuse", r"token|long|MiB|attribute")
def huge_token_in_a_value(path):
    return one(path, f'<c r="A1"><v>{_digits(5 << 20)}</v></c>')


@case("refuse", r"token|long|MiB|attribute")
def huge_attribute_value(path):
    return one(path, f'<c r="A1" x="{_digits(5 << 20)}"><v>1</v></c>')


@case("refuse", r"token|long|MiB|attribute")
def five_million_attributes(path):
    attrs = " ".join(f"a{i}=''" for i in range(5_000_000))
    return one(path, f'<c r="A1" {attrs}><v>1</v></c>')


@case("refuse", r"token|long|MiB|attribute|element")
def huge_tag_name(path):
    return one(path, f'<c r="A1"><x{_digits(3 << 20)}/><v>1</v></c>')


@case("refuse", r"token|long|MiB")
def huge_text_full_of_greater_than_signs(path):
    """'>' may stand unescaped in text: a 5 MiB text of them is still one huge token."""
    text = "".join(random.Random(5).choices("0123456789>", k=5 << 20))
    return one(path, cell("A1", text))


def _digits(n: int) -> str:
    """Random digits: they deflate about 2:1, so no zip-bomb ratio check catches them."""
    return "".join(random.Random(n).choices("0123456789", k=n))


# --- lenient reading ----------------------------------------------------------------------------

@case("refuse", r"shared-string index")
def negative_shared_string_index(path):
    return one(path, '<c r="A1" t="s"><v>-1</v></c>', strings=["a", "b"])


@case("refuse", r"duplicate|twice|order")
def duplicate_cell(path):
    return one(path, cell("A1", 1.0), cell("A1", 2.0))


@case("refuse", r"duplicate|twice|order")
def duplicate_row(path):
    return package(path, {"S": rows((1, [cell("A1", 1.0)]), (1, [cell("B1", 2.0)]))})


@case("refuse", r"duplicate|twice|order")
def duplicate_formula_cell(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(1)"),
               cell("A1", 12345.0, "ANNUALIZED_TOKEN_RETURN(2)"))


for _name, _text in (("nan", "NaN"), ("inf", "INF"), ("minus_inf", "-inf"),
                     ("underscore", "1_0"), ("arabic_digits", "\u0661\u0662"),
                     ("fullwidth_digits", "\uff11"), ("hex", "0x10"), ("spaces_inside", "1 0")):
    def _build(path, _text=_text):
        return one(path, f'<c r="A1"><v>{_text}</v></c>')
    CASES[f"bad_number_{_name}"] = Case(_build, "refuse", r"bad number")


@case("pass")
def newer_error_code_kept(path):
    """#BLOCKED! and friends are Excel 365 error values: read as themselves."""
    return one(path, cell("A1", "#BLOCKED!", t="e"), cell("B1", "#BUSY!", t="e"),
               cell("C1", 1.0, "ANNUALIZED_TOKEN_RETURN(1)"))


@case("refuse", r"error value")
def text_cached_as_error(path):
    return one(path, cell("A1", "hello", t="e"))


@case("refuse", r"error value")
def made_up_error_code(path):
    return one(path, cell("A1", "#WHATEVER!", t="e"))


@case("refuse", r"member count|end record|central directory")
def zip_end_record_lies_about_member_count(path):
    one(path, cell("A1", 1.0))
    data = bytearray(path.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 3, 3)
    path.write_bytes(bytes(data))


@case("refuse", r"member count|end record|central directory")
def zip_end_record_claims_more_members(path):
    one(path, cell("A1", 1.0))
    data = bytearray(path.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 40, 40)
    path.write_bytes(bytes(data))


@case("refuse", r"two <v>")
def two_values_in_one_cell(path):
    return one(path, '<c r="A1"><v>400</v><v>12345</v></c>')


@case("refuse", r"two <f>")
def two_formulas_in_one_cell(path):
    return one(path, '<c r="A1"><f>ANNUALIZED_TOKEN_RETURN(1)</f><f>1</f><v>1</v></c>')


@case("refuse", r"stands in row")
def cell_in_the_wrong_row(path):
    return package(path, {"S": '<row r="1"><c r="A5"><v>1</v></c></row>'})


@case("refuse", r"row")
def row_zero(path):
    return package(path, {"S": '<row r="0"><c r="A1"><v>1</v></c></row>'})


@case("refuse", r"shared formula")
def shared_formula_without_master(path):
    return one(path, cell("A1", 1.0, "", f_attrs=' t="shared" si="0"'))


# --- local mode -----------------------------------------------------------------------------------

@case("refuse", r"circular")
def circular_through_our_functions(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(B1)"),
               cell("B1", 1.0, "ANNUALIZED_TOKEN_RETURN(A1)"))


@case("refuse", r"circular")
def circular_through_a_native_cell(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(B1)"), cell("B1", 1.0, "A1+0"))


@case("refuse", r"circular")
def self_reference(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(A1)"))


@case("refuse", r"missing sheet")
def our_function_on_a_missing_sheet(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(Nope!A1)"))


@case("refuse", r"missing sheet")
def native_cell_on_a_missing_sheet(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(B1)"), cell("B1", 1.0, "Nope!A1"))


# --- fuzzing the template -------------------------------------------------------------------------

def mutate(template: Path, path: Path, seed: int) -> str:
    """Write a mutation of ``template`` to ``path``; return what was done (for reports).

    Mutations: flip bytes of the zip, flip bytes inside one inflated XML part, cut a part,
    drop a part, or splice a hostile token into a sheet's XML.
    """
    rng = random.Random(seed)
    data = template.read_bytes()
    kind = rng.choice(["zip-bytes", "xml-bytes", "xml-cut", "drop-part", "xml-splice",
                       "formula-edit", "value-edit"])
    if kind == "zip-bytes":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        path.write_bytes(bytes(buf))
        return kind
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    xml = [k for k, (i, _) in enumerate(members) if i.filename.endswith((".xml", ".rels"))]
    k = rng.choice(xml)
    info, body = members[k]
    if kind == "xml-bytes":
        buf = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.choice(b'<>&"\'/=0123456789-.eE#!:$ \x00\xff')
        body = bytes(buf)
    elif kind == "xml-cut":
        body = body[: rng.randrange(len(body))]
    elif kind == "drop-part":
        members.pop(k)
        body = None
    elif kind == "xml-splice":
        sheet = [j for j, (i, _) in enumerate(members) if "worksheets/sheet" in i.filename]
        k = rng.choice(sheet)
        info, body = members[k]
        token = rng.choice([b"<c r=\"A1\"><v>1</v></c>", b"<row r=\"1\"/>", b"<v>NaN</v>",
                            b'<c r="XFD1048576" t="e"><v>#BOGUS!</v></c>', b"&#0;", b"<f>",
                            b'<c r="A1" t="s"><v>99999</v></c>'])
        at = rng.randrange(len(body))
        body = body[:at] + token + body[at:]
    elif kind in ("formula-edit", "value-edit"):
        sheet = [j for j, (i, _) in enumerate(members) if "worksheets/sheet" in i.filename]
        k = rng.choice(sheet)
        info, body = members[k]
        tag = b"<f>" if kind == "formula-edit" else b"<v>"
        spots = [p for p in range(len(body)) if body.startswith(tag, p)]
        if spots:
            p = rng.choice(spots) + 3
            q = body.find(b"<", p)
            repl = rng.choice([b"1/0", b"A1:XFD1048576", b"(" * 70 + b"1" + b")" * 70,
                               b"[1]S!A1", b"S:T!A1", b"SEQUENCE(9999,9999)", b"-1", b"1e309",
                               b"NaN", b"Model!A1", b"#BLOCKED!", b"\xe2\x82\xac"])
            body = body[:p] + repl + body[q:]
    if body is not None:
        members[k] = (info, body)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, b in members:
            zf.writestr(i, b)
    return kind


@case("pass", modes=("full",))
def iso_date_cell(path):
    """A t="d" cell is its serial number: 2025-01-01 is 45658 in Excel."""
    return one(path, cell("A1", "2025-01-01T00:00:00", t="d"), cell("B1", 45659.0, "A1+1"))


@case("refuse", r"bad date")
def bad_iso_date_cell(path):
    return one(path, cell("A1", "yesterday", t="d"))


# --- more unusual files: each must end in a value checked, or one error line ---------------------

@case("any")
def deeply_nested_xml_elements(path):
    return one(path, "<x>" * 100_000 + "</x>" * 100_000 + cell("A1", 1.0))


@case("any")
def deeply_nested_workbook_xml(path):
    one(path, cell("A1", 1.0))
    _replace_member(path, "xl/workbook.xml", lambda d: d.replace(
        b"<sheets>", b"<x>" * 50_000 + b"</x>" * 50_000 + b"<sheets>"))


@case("refuse", r"sheet|duplicate")
def duplicate_sheet_names(path):
    package(path, {"S": rows((1, [cell("A1", 1.0)])), "T": ""})
    _replace_member(path, "xl/workbook.xml", lambda d: d.replace(b'name="T"', b'name="S"'))


@case("kept", modes=("full",))
def defined_names_in_a_cycle(path):
    return one(path, cell("A1", 1.0, "nm_a"),
               names='<definedName name="nm_a">nm_b+1</definedName>'
                     '<definedName name="nm_b">nm_a+1</definedName>')


@case("refuse", r"8,?192", modes=("full",))
def defined_name_too_long(path):
    return one(path, cell("A1", 1.0, "nm_long"),
               names=f'<definedName name="nm_long">{"+".join(["1"] * 5000)}</definedName>')


@case("no-pass", modes=("full",))
def shared_formula_running_off_the_grid(path):
    return package(path, {"S": rows((1, [
        cell("XFC1", 1.0, "XFD1+1", f_attrs=' t="shared" ref="XFC1:XFD1" si="0"'),
        cell("XFD1", 12345.0, "", f_attrs=' t="shared" si="0"')]))})


@case("refuse", r"larger than any Excel holds")
def number_literal_too_large(path):
    return one(path, cell("A1", 1.0, "1e999*0"))


@case("no-pass", modes=("full",))
def unbalanced_parentheses(path):
    return one(path, cell("A1", 12345.0, "SUM(1,2"))


@case("kept", modes=("full",))
def union_operator(path):
    return one(path, cell("A1", 1.0), cell("B1", 12345.0, "SUM((A1,A1))"))


@case("pass", modes=("full",))
def percent_chain_3000(path):
    return one(path, cell("A1", 1.0), cell("B1", 0.0, "A1" + "%" * 3000))


@case("pass", modes=("full",))
def power_chain_2000(path):
    return one(path, cell("A1", 1.0), cell("B1", 1.0, "^".join(["A1"] * 2000)))


@case("pass", modes=("full",))
def text_of_32767_characters_is_legal(path):
    return one(path, cell("A1", "x" * 32766), cell("B1", "x" * 32767, 'A1&"x"'))


@case("no-pass")
def our_function_on_a_whole_million_rows(path):
    return one(path, cell("A1", 1.0), cell("B1", 12345.0, "ANNUALIZED_TOKEN_RETURN(A1:A1048576)",
                                            f_attrs=' t="array" ref="B1"', c_attrs=' cm="1"'),
               dynamic=True)


@case("any")
def cm_without_metadata(path):
    return one(path, cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(1)", c_attrs=' cm="99"'))


@case("refuse", r"cell reference|bad")
def cell_reference_past_the_grid(path):
    return one(path, '<c r="XFE1"><v>1</v></c>')


@case("refuse", r"row")
def row_past_the_grid(path):
    return package(path, {"S": '<row r="1048577"><c r="A1048577"><v>1</v></c></row>'})


@case("refuse", r"not a zip|empty|corrupt")
def empty_file(path):
    path.write_bytes(b"")


@case("refuse", r"Excel 97|OLE|xls|not a zip")
def old_xls_renamed(path):
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)


@case("any")
def member_name_escaping_the_folder(path):
    one(path, cell("A1", 1.0))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("../../evil.txt", b"x")


@case("refuse", r"duplicate zip member")
def duplicate_member_names_in_other_case(path):
    one(path, cell("A1", 1.0))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("XL/Worksheets/Sheet1.xml", b"<x/>")


@case("refuse", r"missing part|content|workbook|unreadable|corrupt")
def no_content_types(path):
    one(path, cell("A1", 1.0))
    _drop_member(path, "[Content_Types].xml")


@case("refuse", r"missing part|relationship|workbook")
def no_package_relationships(path):
    one(path, cell("A1", 1.0))
    _drop_member(path, "_rels/.rels")


@case("any")
def sheet_relationship_points_outside(path):
    package(path, {"S": ""})
    _replace_member(path, "xl/_rels/workbook.xml.rels", lambda d: d.replace(
        b'Target="worksheets/sheet1.xml"', b'Target="../../../../etc/passwd"'))


@case("any")
def sheet_relationship_is_external(path):
    package(path, {"S": ""})
    _replace_member(path, "xl/_rels/workbook.xml.rels", lambda d: d.replace(
        b'Target="worksheets/sheet1.xml"', b'Target="http://example.invalid/x.xml" '
        b'TargetMode="External"'))


@case("any")
def sheet_part_is_the_workbook(path):
    package(path, {"S": ""})
    _replace_member(path, "xl/_rels/workbook.xml.rels", lambda d: d.replace(
        b'Target="worksheets/sheet1.xml"', b'Target="workbook.xml"'))


@case("refuse", r"shared strings|element|cells")
def too_many_shared_strings(path):
    rng = random.Random(6)
    return one(path, cell("A1", 1.0),
               strings=["".join(rng.choices("abcdefghij", k=6)) for _ in range(600_000)])


@case("any")
def many_sheets(path):
    return package(path, {f"S{i}": "" for i in range(3000)})


@case("any")
def control_characters_in_a_formula(path):
    return one(path, cell("A1", 1.0, "1+\u0001+1"))


@case("any")
def sheet_names_that_need_quoting(path):
    return package(path, {"It's": rows((1, [cell("A1", 2.0)])),
                          "S": rows((1, [cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN('It''s'!A1)")]))})


@case("no-pass", modes=("full",))
def spill_reference_to_a_plain_cell(path):
    return one(path, cell("A1", 1.0), cell("B1", 12345.0, "SUM(A1#)"))


@case("kept", modes=("full",))
def data_table_formula(path):
    return one(path, cell("A1", 12345.0, "", f_attrs=' t="dataTable" ref="A1:A2" r1="B1"'))


@case("any")
def encrypted_member(path):
    one(path, cell("A1", 1.0))
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 1)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _replace_member(path: Path, name: str, edit) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members:
            zf.writestr(n, edit(d) if n == name else d)


def _drop_member(path: Path, name: str) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != name]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members:
            zf.writestr(n, d)
