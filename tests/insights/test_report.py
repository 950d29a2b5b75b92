"""The insights report: self-contained bilingual HTML, the XLSX tables, and ``matcher insights``."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from test_insights import CLUSTER, HOME, LINKS, OUTCOMES, frame

from matcher.cli import main
from matcher.engine.ranking import PartnerMatcher
from matcher.insights.cluster import cluster_insights
from matcher.insights.outcomes import validate_outcomes
from matcher.insights.report import (
    chart_figure,
    charts,
    figure_to_svg,
    render_report,
    write_json,
    write_report,
    write_tables,
)

EVIL = {
    "id": "h-evil",
    "name": "<script>alert(1)</script> & Co",
    "network": HOME,
    "country": "UA",
    "org_type": "supplier",
    "offers": "trims_supply",
    "markets_present": "UA",
}
# Anything that would fetch from outside the file: a URL in src/href/url(), a script, an import.
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//|<script|@import""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def insights():
    profiles = frame(CLUSTER + [EVIL])
    earlier = [dict(r) for r in CLUSTER if r["id"] != "h-rival"]
    earlier[1]["markets_present"] = "UA"  # h-knit moved up from national to regional
    earlier = frame(earlier)
    rows = list(csv.DictReader(OUTCOMES.splitlines()))
    return cluster_insights(
        profiles,
        LINKS,
        matcher=PartnerMatcher().fit(profiles, LINKS),
        previous=earlier,
        outcomes=validate_outcomes(pd.DataFrame(rows)),
        suggestions_per_member=2,
    )


@pytest.fixture(scope="module")
def html(insights):
    return render_report(
        insights,
        "both",
        generated="2026-05-01",
        note={"en": "Fictional test data.", "uk": "Вигадані тестові дані."},
    )


def test_report_is_self_contained(html):
    assert not EXTERNAL.search(html)
    assert "<link" not in html and "<img" not in html and "<iframe" not in html
    assert html.count("<svg") == 12  # six charts in each language
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "ids must be unique across the embedded charts"
    referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', html))
    assert referenced <= set(ids)


def test_report_has_both_languages_and_the_figures(html):
    assert '<section class="report" id="report-uk" lang="uk">' in html
    assert '<section class="report" id="report-en" lang="en">' in html
    assert html.index("Аналітика кластера") < html.index("Cluster insights")
    for text in (
        "Постачання пряжі",
        "Yarn supply",
        "Фінансування та інвестиції",
        "Франція",
        "France",
        "Італія",
        "Italy",
        "Вигадані тестові дані.",
        "Fictional test data.",
        # Dates as each language writes them (issue 15).
        "May 1, 2026",
        "1 трав. 2026",
        "Przędza S.A.",
        "Tkalnia Łódź",
        "day-1",
        "day-2",
    ):
        assert text in html, text
    # The engine's reasons, in the language of each section.
    assert "Пропонує те, що ви шукаєте: Постачання тканин" in html
    assert "Offers what you seek: Woven fabric supply" in html


def test_report_escapes_data(html):
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_report_prints(html):
    assert "@media print" in html and "@page" in html and "break-before: page" in html


@pytest.mark.parametrize(
    "language, present, absent",
    [
        ("uk", "Аналітика кластера", "Cluster insights"),
        ("en", "Cluster insights", "Аналітика кластера"),
    ],
    ids=["uk", "en"],
)
def test_report_in_one_language(insights, language, present, absent):
    page = render_report(insights, language)
    assert present in page and absent not in page
    assert f'<html lang="{language}">' in page and page.count("<svg") == 6


def test_report_rejects_bad_arguments(insights):
    with pytest.raises(ValueError, match="language='de'"):
        render_report(insights, "de")
    with pytest.raises(ValueError, match="note="):
        render_report(insights, "both", note={"en": "only English"})
    with pytest.raises(ValueError, match="language='both'"):
        charts(insights, "both")


def test_charts_are_svg_in_each_language(insights):
    for language in ("en", "uk"):
        drawn = charts(insights, language)
        assert set(drawn) == {"gradation", "movement", "supply", "markets", "network", "outcomes"}
        for name, svg in drawn.items():
            assert svg.startswith("<svg") and svg.endswith("</svg>") and "viewBox" in svg, name
            assert not re.search(r'<svg[^>]*\swidth="', svg)
    assert isinstance(chart_figure(insights, "supply", "uk"), Figure)
    with pytest.raises(ValueError, match="name='pie'"):
        chart_figure(insights, "pie")


def test_write_report_is_atomic_and_readable(insights, tmp_path):
    path = write_report(insights, tmp_path / "out" / "report.html", "en")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    data = json.loads(write_json(insights, tmp_path / "insights.json").read_text(encoding="utf-8"))
    assert data["summary"]["markets_without_partner"] == ["FR", "IT"]


def test_xlsx_reads_back(insights, tmp_path):
    path = write_tables(insights, tmp_path / "tables.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    tables = insights.tables()
    assert list(sheets) == list(tables)
    capabilities = sheets["capabilities"]
    assert capabilities["capability"].tolist() == tables["capabilities"]["capability"].tolist()
    assert capabilities["sought"].tolist() == tables["capabilities"]["sought"].tolist()
    assert sheets["markets"].set_index("market").loc["FR", "no_partner"]
    assert sheets["outcome_sessions"]["deal"].tolist() == [1, 0]
    # A name starting with '=' stays text, never a formula.
    workbook = openpyxl.load_workbook(path)
    names = [
        cell for cell in workbook["members"]["B"] if cell.value and "Бренд Самотній" in cell.value
    ]
    assert names and all(c.data_type == "s" and c.value == "'=Бренд Самотній" for c in names)
    with pytest.raises(ValueError, match="expected a file name ending in .xlsx"):
        write_tables(insights, tmp_path / "tables.csv")


def write_files(folder: Path) -> dict[str, Path]:
    def write(name, rows):
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            columns = list(dict.fromkeys(k for r in rows for k in r))
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        return path

    files = {
        "profiles": write("profiles.csv", CLUSTER),
        "previous": write("previous.csv", [r for r in CLUSTER if r["id"] != "h-rival"]),
        "links": write(
            "links.csv", [{"source": l.source, "target": l.target, "kind": l.kind} for l in LINKS]
        ),
    }
    files["outcomes"] = folder / "outcomes.csv"
    files["outcomes"].write_text(OUTCOMES, encoding="utf-8")
    return files


def test_cli_writes_report_tables_and_json(tmp_path):
    files = write_files(tmp_path)
    out = tmp_path / "report" / "insights.html"
    result = CliRunner().invoke(
        main,
        [
            "insights",
            "--profiles",
            str(files["profiles"]),
            "--links",
            str(files["links"]),
            "--previous",
            str(files["previous"]),
            "--outcomes",
            str(files["outcomes"]),
            "--language",
            "uk",
            "--out",
            str(out),
            "--xlsx",
            str(tmp_path / "t.xlsx"),
            "--json",
            str(tmp_path / "i.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "6 members of kharkiv-fashion-cluster: 3 gaps (yarn_supply, financing, woven_fabric_supply)"
    ) in result.stdout
    assert "2 target markets without partner (FR, IT), 2 members without partner" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "Аналітика кластера" in page and "Cluster insights" not in page
    assert "Вигадані" not in page  # the sample note is for --sample only
    data = json.loads((tmp_path / "i.json").read_text(encoding="utf-8"))
    assert [m["member_id"] for m in data["movement"]["new_members"]] == ["h-rival"]
    assert data["outcomes"]["totals"]["deal"] == 1
    assert "outcome_sessions" in pd.read_excel(tmp_path / "t.xlsx", sheet_name=None)


def test_cli_bad_input_exits_2_naming_file_row_and_column(tmp_path):
    files = write_files(tmp_path)
    bad = tmp_path / "bad-outcomes.csv"
    bad.write_text(
        "session,date,member_id,partner_id,deal\nd,2026-03-10,h-knit,nobody,maybe\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "insights",
            "--profiles",
            str(files["profiles"]),
            "--outcomes",
            str(bad),
            "--out",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 2
    assert f"error: {bad}: 2 problems, nothing was loaded" in result.stderr
    assert "row 2, column 'partner_id': 'nobody' is not the id of any profile" in result.stderr
    assert "row 2, column 'deal': 'maybe' is not a yes/no flag" in result.stderr
    assert not (tmp_path / "r.html").exists()
    for args, message in (
        (["--out", str(tmp_path / "r.html")], "--profiles is required"),
        (
            ["--profiles", str(files["profiles"]), "--out", str(tmp_path / "r.pdf")],
            "expected a file name ending in .html or .htm",
        ),
        (
            ["--profiles", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r.html")],
            "profiles file not found",
        ),
        (
            [
                "--profiles",
                str(files["profiles"]),
                "--home-network",
                "nowhere",
                "--out",
                str(tmp_path / "r.html"),
            ],
            "no members of the home network 'nowhere'",
        ),
        (
            [
                "--profiles",
                str(files["profiles"]),
                "--model",
                "missing",
                "--models-dir",
                str(tmp_path),
                "--out",
                str(tmp_path / "r.html"),
            ],
            "no model at",
        ),
    ):
        result = runner.invoke(main, ["insights", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr


@pytest.mark.slow
def test_cli_on_the_sample_end_to_end(tmp_path):
    out, xlsx, data = tmp_path / "report.html", tmp_path / "tables.xlsx", tmp_path / "insights.json"
    result = CliRunner().invoke(
        main, ["insights", "--sample", "--out", str(out), "--xlsx", str(xlsx), "--json", str(data)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(data.read_text(encoding="utf-8"))["summary"]
    assert summary["members"] == 150 and summary["profiles"] == 2150
    assert summary["gaps"] == 4 and summary["top_gaps"][0] == "yarn_supply"
    assert summary["markets_without_partner"] == []
    assert summary["unpartnered_members"] == 3
    page = out.read_text(encoding="utf-8")
    assert not EXTERNAL.search(page) and page.count("<svg") == 8  # no movement, no outcomes
    assert "Вигадані демонстраційні дані" in page and "Fictional sample data" in page
    # The sample's networks by their names (its networks.csv), never by slug (issue 15).
    assert "Що має Харківський фешн-кластер" in page
    assert "What the Kharkiv Fashion Cluster has" in page
    assert not re.search(r"[a-z]+-(?:fashion|textile|apparel)-[a-z]+", readable(page))
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert len(sheets["gap_partners"]) == 15  # five partners for each of three gaps found abroad


def test_charts_drawn_once_give_the_same_report(insights):
    """The service draws each language's charts once and renders every report from them."""
    drawn = {language: charts(insights, language) for language in ("en", "uk")}
    for language in ("uk", "en", "both"):
        fresh = render_report(insights, language, generated="2026-05-01")
        assert render_report(insights, language, generated="2026-05-01", drawn=drawn) == fresh
    # Only the languages given are reused; the others are drawn.
    only_en = render_report(insights, "both", generated="2026-05-01", drawn={"en": drawn["en"]})
    assert only_en == render_report(insights, "both", generated="2026-05-01")


# ---------------------------------------------------------------------------------------------
# Words instead of codes (issue 15)
# ---------------------------------------------------------------------------------------------

#: What a person reads of a page: no scripts, styles or charts (their text is drawn as paths),
#: no tags.
_MARKUP = re.compile(r"<(script|style|svg)\b.*?</\1>|<[^>]+>", re.DOTALL)
_IDS = re.compile(
    r"\b(?:h-[a-z]+|pl-yarn|it-yarn|pl-fabric|de-dist|[a-z]+-(?:fashion|textile)-[a-z]+)\b"
)
NAMES = {
    HOME: {"en": "Slobozhansky Fashion Cluster", "uk": "Слобожанський фешн-кластер"},
    "polish-fashion-cluster": {"en": "Lodz Textile Network", "uk": "Лодзька текстильна мережа"},
}


def readable(page: str) -> str:
    import html as markup

    return markup.unescape(_MARKUP.sub(" ", page))


@pytest.mark.parametrize("language", ["en", "uk"])
def test_the_report_names_networks_and_members_and_writes_numbers_by_language(insights, language):
    import dataclasses

    from matcher.i18n import format_number

    named = dataclasses.replace(insights, network_names=NAMES)
    text = readable(render_report(named, language, generated="2026-05-01"))
    # No network slug and no member id where people read: "для kfc-0018:" was the issue's.
    assert not _IDS.findall(text), sorted(set(_IDS.findall(text)))
    assert NAMES[HOME][language] in text and NAMES["polish-fashion-cluster"][language] in text
    # The gap table says for whom the engine gave its reasons by the member's name.
    assert re.search(r"(?:for|для) [^\s:]+ ?[^:]*:", text)
    # Decimals as the language writes them: "0.58" in English, "0,58" in Ukrainian.
    mean = insights.gradation.by_org_type["mean_potential"].iloc[0]
    other = "uk" if language == "en" else "en"
    assert format_number(mean, language, 2) in text
    assert format_number(mean, other, 2) not in text


def test_the_network_chart_labels_organisations_by_name(insights):
    """Issue 15: the brokers and the members with no partner yet are labelled by name."""
    figure = chart_figure(insights, "network", "uk")
    labels = [text.get_text() for axes in figure.axes for text in axes.texts]
    assert labels and not [label for label in labels if _IDS.fullmatch(label)]
    names = set(insights.gradation.members["name"]) | set(insights.network.brokers["name"])
    assert all(label in names or label.endswith("…") for label in labels), labels


def test_charts_drawn_once_are_the_svg_savefig_draws_twice(insights):
    """figure_to_svg lays a chart out and draws it with one renderer; on a plain canvas the
    chart goes through savefig (a dry draw for the layout, then the real one): same SVG."""
    for name in ("gradation", "movement", "supply", "markets", "network", "outcomes"):
        once = figure_to_svg(chart_figure(insights, name, "uk"), name)
        plain = chart_figure(insights, name, "uk")
        FigureCanvasBase(plain)
        assert figure_to_svg(plain, name) == once, name
