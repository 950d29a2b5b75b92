"""One rule for every spreadsheet the service writes: formulas shown as text, valid sheet titles."""

import csv
import io

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.batch.outputs import write_table
from matcher.cli import main
from matcher.spreadsheets import FORMULA_START, csv_text, safe_cell, safe_cells, sheet_title


@pytest.mark.parametrize("start", FORMULA_START)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(start):
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("value", ["Knit & Co", " =1", "", "'=1", 5, -5, 1.5, None])
def test_anything_else_is_left_as_it_is(value):
    assert safe_cell(value) == value


def test_frames_are_escaped_in_their_text_columns_only():
    frame = pd.DataFrame({"name": ["=1+1", "ok", None], "score": [-1.0, 0.5, 2.0]})
    escaped = safe_cells(frame)
    assert escaped["name"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(escaped["name"].iat[2])
    assert escaped["score"].tolist() == [-1.0, 0.5, 2.0]
    assert frame["name"].iat[0] == "=1+1"  # the caller's frame is not changed


def test_sheet_titles_are_valid_and_unique_whatever_the_case():
    used: set[str] = set()
    assert sheet_title("a/b:c*d?e[f]g\\h", used) == "a_b_c_d_e_f_g_h"
    assert sheet_title("'quoted'", used) == "quoted"
    long = "x" * 40
    assert sheet_title(long, used) == "x" * 31
    assert sheet_title(long.upper(), used) == "X" * 29 + "~2"
    assert sheet_title(long, used) == "x" * 29 + "~3"
    assert sheet_title("''", used, fallback="member") == "member"
    assert sheet_title("", used, fallback="member") == "member~2"
    # Excel refuses a title that ends with an apostrophe once cut to 31 characters.
    assert not sheet_title("y" * 30 + "'z", set()).endswith("'")


def shortlists(text: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["m1", "m1"],
            "member_name": ["Member one", "Member one"],
            "rank": [1, 2],
            "partner_id": ["p1", "p2"],
            "partner_name": [text, "Plain"],
            "score": [0.9, 0.5],
            "reasons": ["Offers what you seek", "Same market"],
        }
    )


@pytest.mark.parametrize("start", FORMULA_START)
def test_batch_outputs_escape_every_formula_start(start, tmp_path):
    text = f"{start}cmd|' /C calc'!A0"
    write_table(shortlists(text), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["m1"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    # (XML stores a carriage return as a line feed.)
    assert [c.value for c in cells if "calc" in c.value] == ["'" + text.replace("\r", "\n")]
    assert all(c.data_type == "s" for c in cells)

    write_table(shortlists(text), tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["partner_name"] == "'" + text


def test_csv_for_people_escapes_formulas_and_quotes_line_breaks():
    text = csv_text(["name", "score"], [["=1+1", 0.5], ["Knit\rwear", -1], ["Plain", None]])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["name", "score"], ["'=1+1", "0.5"], ["Knit\rwear", "-1"], ["Plain", ""]]
    assert text.endswith("\r\n")


def test_recommend_as_csv_shows_a_partners_formula_as_text(tmp_path):
    rows = [
        {
            "id": "a1",
            "name": "Designer",
            "network": "kharkiv-fashion-cluster",
            "country": "UA",
            "org_type": "designer_brand",
            "seeks": "knitwear_production",
        },
        {
            "id": "b1",
            "name": '=HYPERLINK("http://x","open")',
            "network": "polish-fashion-cluster",
            "country": "PL",
            "org_type": "manufacturer",
            "offers": "knitwear_production",
        },
    ]
    profiles = tmp_path / "profiles.csv"
    pd.DataFrame(rows).to_csv(profiles, index=False)
    result = CliRunner().invoke(
        main, ["recommend", "--profiles", str(profiles), "--member", "a1", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    listed = list(csv.DictReader(io.StringIO(result.output, newline="")))
    assert [row["name"] for row in listed] == ["'" + rows[1]["name"]]
