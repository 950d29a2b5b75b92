import json

import pandas as pd
import pytest
from small_cluster import CLUSTER, write_csv

from matcher.profiles import (
    Profile,
    ProfileValidationError,
    check_files,
    derive_market_presence,
    potential_score,
    read_links,
    read_profile_frame,
    read_profiles,
    validate_links,
    validate_profiles,
)

GOOD = {
    "id": "m1",
    "name": "Швейна фабрика",
    "network": "kharkiv-fashion-cluster",
    "country": "UA",
    "org_type": "manufacturer",
    "offers": "sewing",
}


def problems_of(rows):
    with pytest.raises(ProfileValidationError) as info:
        validate_profiles(pd.DataFrame(rows).fillna(""))
    return [str(p) for p in info.value.problems]


def test_every_problem_of_a_file_is_reported_with_row_column_and_hint():
    rows = [
        GOOD,
        dict(GOOD, id="m2", offers="sewwing", country="Poland", org_type="factry"),
        dict(GOOD, id="m3", employees="-1", languages="ukr", markets_present="XX"),
    ]
    found = problems_of(rows)
    assert "row 3, column 'offers': 'sewwing' is not a capability; did you mean 'sewing'?" in found
    assert (
        "row 3, column 'country': 'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'?"
        in found
    )
    assert any(p.startswith("row 3, column 'org_type': 'factry' is not an org_type") for p in found)
    assert "row 4, column 'employees': '-1' is not a whole number >= 0" in found
    assert (
        "row 4, column 'languages': 'ukr' is not an ISO 639-1 language code; did you mean 'uk'?"
        in found
    )
    assert any(p.startswith("row 4, column 'markets_present': 'XX'") for p in found)
    assert len(found) == 6


def test_duplicate_ids_are_an_error_naming_both_rows():
    found = problems_of([GOOD, dict(GOOD, name="Інша")])
    assert found == ["row 3, column 'id': duplicate id 'm1' (first at row 2)"]


def test_duplicate_ids_can_be_merged_on_request():
    frame = validate_profiles(
        pd.DataFrame([GOOD, dict(GOOD, offers="cutting", city="Kharkiv")]), duplicates="merge"
    )
    assert len(frame) == 1
    assert frame.loc["m1", "offers"] == ("sewing", "cutting")
    assert frame.loc["m1", "city"] == "Kharkiv"


def test_empty_profile_is_an_error():
    found = problems_of([dict(GOOD, offers="", seeks="", description="")])
    assert found == [
        "row 2: empty profile: give at least one tag in 'offers' or 'seeks', or a description"
    ]


def test_missing_required_column_is_named():
    with pytest.raises(ProfileValidationError, match="required column 'org_type' is missing"):
        validate_profiles(pd.DataFrame([{k: v for k, v in GOOD.items() if k != "org_type"}]))


def test_bad_id_and_network_slug():
    found = problems_of([dict(GOOD, id="a b", network="Kharkiv Cluster")])
    assert any("'a b' is not a valid id" in p for p in found)
    assert any("'Kharkiv Cluster' is not a slug" in p for p in found)


def test_tags_match_case_insensitively_after_trimming_and_synonyms():
    frame = validate_profiles(
        pd.DataFrame([dict(GOOD, offers=" Sewing ; CMT, пошив", seeks="Yarn_Supply")])
    )
    assert frame.loc["m1", "offers"] == ("sewing",)
    assert frame.loc["m1", "seeks"] == ("yarn_supply",)


def test_unknown_columns_are_kept_as_extra_with_a_warning(caplog):
    frame = validate_profiles(pd.DataFrame([dict(GOOD, hall="B2")]))
    assert frame.loc["m1", "extra"] == {"hall": "B2"}
    assert "hall" in caplog.text


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_the_three_file_formats_read_the_same(tmp_path, suffix):
    path = tmp_path / f"profiles.{suffix}"
    if suffix == "csv":
        write_csv(path, CLUSTER)
    elif suffix == "xlsx":
        pd.DataFrame(CLUSTER).to_excel(path, index=False)
    else:
        records = [
            {
                k: (
                    v.split(";")
                    if k
                    in (
                        "offers",
                        "seeks",
                        "products",
                        "markets_present",
                        "markets_target",
                        "languages",
                        "certifications",
                    )
                    and v
                    else v
                )
                for k, v in row.items()
            }
            for row in CLUSTER
        ]
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    frame = read_profile_frame(path)
    assert list(frame.index) == [row["id"] for row in CLUSTER]
    assert frame.loc["knit-factory", "min_order_qty"] == 200
    assert frame.loc["designer", "markets_target"] == ("PL", "DE")


def test_csv_with_byte_order_mark(tmp_path):
    path = tmp_path / "p.csv"
    write_csv(path, [GOOD])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_profiles(path)[0].member_id == "m1"


def test_bad_xlsx_row_numbers_match_the_sheet(tmp_path):
    path = tmp_path / "p.xlsx"
    pd.DataFrame([GOOD, dict(GOOD, id="m2", offers="sewwing")]).to_excel(path, index=False)
    with pytest.raises(ProfileValidationError, match="row 3, column 'offers'"):
        read_profile_frame(path)


def test_json_records_are_counted_from_one(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps([GOOD, dict(GOOD, id="m2", org_type="nope")]), encoding="utf-8")
    with pytest.raises(ProfileValidationError, match="record 2, column 'org_type'"):
        read_profile_frame(path)


def test_links_to_unknown_ids_bad_kinds_and_self_links(tmp_path):
    path = write_csv(
        tmp_path / "links.csv",
        [
            {"source": "m1", "target": "ghost", "kind": "partner", "date": ""},
            {"source": "m1", "target": "m1", "kind": "partner", "date": ""},
            {"source": "m1", "target": "m2", "kind": "friend", "date": "yesterday"},
        ],
    )
    with pytest.raises(ProfileValidationError) as info:
        read_links(path, ["m1", "m2"])
    text = str(info.value)
    assert "row 2, column 'target': 'ghost' is not the id of any profile" in text
    assert "row 3, column 'target': a link cannot join a profile to itself" in text
    assert (
        "row 4, column 'kind': 'friend' is not a link kind; allowed: partner, supplier, meeting, deal, declined"
        in text
    )
    assert "row 4, column 'date': 'yesterday' is not an ISO 8601 date" in text


def test_market_presence_is_derived_from_markets_and_country():
    assert derive_market_presence("UA", []) == "local"
    assert derive_market_presence("UA", ["UA"]) == "national"
    assert derive_market_presence("UA", ["UA", "PL", "MD"]) == "regional"
    assert derive_market_presence("UA", ["UA", "US"]) == "international"
    assert derive_market_presence("UA", ["PL", "DE", "FR", "IT", "ES"]) == "international"


def test_given_market_presence_is_kept_and_marked(cluster_frame):
    frame = validate_profiles(
        pd.DataFrame([dict(GOOD, market_presence="International", markets_present="UA")])
    )
    assert frame.loc["m1", "market_presence"] == "international"
    assert not frame.loc["m1", "market_presence_derived"]
    assert cluster_frame.loc["designer", "market_presence_derived"]


def test_potential_grows_with_capacity_certifications_and_ambition():
    low = potential_score(None, 3, 0, "local", 0, 0)
    high = potential_score(50000, 200, 3, "international", 3, 3)
    assert 0 <= low < 0.35
    assert 0.6 <= high <= 1


def test_profile_parse_reads_tags_out_of_a_ukrainian_description():
    profile = Profile.parse(
        {
            "member_id": "d1",
            "name": "Дизайнерка",
            "network": "kharkiv-fashion-cluster",
            "country": "ua",
            "org_type": "designer",
            "description": "Дизайнерка жіночого одягу. Шукаємо виробництво трикотажних виробів.",
        }
    )
    assert profile.country == "UA" and profile.org_type == "designer_brand"
    assert profile.all_seeks == ("knitwear_production",)
    assert "fashion_design" in profile.all_offers
    assert profile.to_record()["id"] == "d1"


def test_list_fields_may_be_given_as_lists():
    profile = Profile.parse(
        {**GOOD, "offers": ["sewing", "Cutting"], "markets_present": ("UA", "pl")}
    )
    assert profile.offers == ("sewing", "cutting")
    assert profile.markets_present == ("UA", "PL")


def test_every_european_market_counts_as_the_same_continent():
    # The United Kingdom and Greece are in Europe: selling there from Ukraine is regional.
    assert derive_market_presence("UA", ["UA", "GB", "GR"]) == "regional"


@pytest.mark.parametrize("as_objects", [True, False], ids=["python-values", "column-arrays"])
def test_profile_rows_equal_frame_to_profiles(monkeypatch, as_objects):
    """Every row's Profile read from the Python values (small frames) or from the column
    arrays (large ones) equals the one built from a one-row frame, with plain Python values
    (JSON-ready), missing numbers as None."""
    import json
    from dataclasses import asdict

    from matcher.datasets.generator import load_sample_frames
    from matcher.profiles import ProfileRows, frame_to_profiles, validate_profiles

    frame = validate_profiles(load_sample_frames()[0], source="sample")
    if not as_objects:
        monkeypatch.setattr(ProfileRows, "AS_OBJECTS_UP_TO", 0)
    rows = ProfileRows(frame)
    expected = frame_to_profiles(frame)
    missing = frame["employees"].isna().to_numpy()
    assert missing.any() and not missing.all()
    for row in range(len(frame)):
        profile = rows[row]
        assert profile == expected[row]
        assert (profile.employees is None) == missing[row]
        assert type(profile.potential) is float and type(profile.market_presence_derived) is bool
    json.dumps([asdict(rows[row]) for row in range(0, len(frame), 7)], default=list)


def test_a_missing_column_does_not_hide_the_other_columns_problems():
    rows = [
        {k: v for k, v in dict(GOOD, id="m1", country="Poland").items() if k != "org_type"},
        {k: v for k, v in dict(GOOD, id="m2", offers="sewwing").items() if k != "org_type"},
    ]
    found = problems_of(rows)
    assert found[0].startswith("column 'org_type': required column 'org_type' is missing")
    assert found[1].startswith("row 2, column 'country': 'Poland'")
    assert found[2].startswith("row 3, column 'offers': 'sewwing'")
    # The missing column is reported once, not as an empty cell in every row.
    assert len(found) == 3


def test_problems_are_listed_by_row_then_column_in_file_order():
    rows = [
        dict(GOOD, employees="x", offers="sewwing"),
        dict(GOOD, id="m2", name="", employees="-1"),
        dict(GOOD, id="m3", country="XX"),
    ]
    found = problems_of(rows)
    assert [p.split(":")[0] for p in found] == [
        "row 2, column 'offers'",
        "row 2, column 'employees'",
        "row 3, column 'name'",
        "row 3, column 'employees'",
        "row 4, column 'country'",
    ]


def test_a_missing_link_column_does_not_hide_the_other_columns_problems():
    with pytest.raises(ProfileValidationError) as info:
        validate_links(pd.DataFrame([{"source": "m1", "kind": "friend"}]), ["m1"])
    assert [str(p) for p in info.value.problems] == [
        (
            "column 'target': required column 'target' is missing; the columns are source, "
            "target, kind, date"
        ),
        (
            "row 2, column 'kind': 'friend' is not a link kind; allowed: partner, supplier, "
            "meeting, deal, declined"
        ),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        ("id,name\nm1,Фабрика\n".encode("cp1251"), "not UTF-8 text"),
        (b'id,name\nm1,"unterminated\n', "not a readable CSV file"),
    ],
)
def test_an_unreadable_csv_is_bad_input_not_a_crash(tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(ProfileValidationError, match=message):
        read_profile_frame(path)


def test_a_damaged_xlsx_is_bad_input_not_a_crash(tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"not a zip archive")
    with pytest.raises(ProfileValidationError, match="not a readable XLSX workbook"):
        read_profile_frame(path)


def test_check_files_reports_both_files_and_knows_the_ids_of_rows_with_problems(tmp_path):
    profiles = write_csv(tmp_path / "p.csv", [GOOD, dict(GOOD, id="m2", org_type="factry")])
    links = write_csv(
        tmp_path / "l.csv",
        [
            {"source": "m1", "target": "m2", "kind": "partner"},
            {"source": "m1", "target": "m9", "kind": "partner"},
        ],
    )
    frame, known_links, errors = check_files(profiles, links)
    assert frame is None and known_links is None
    assert [e.source for e in errors] == [str(profiles), str(links)]
    assert [str(p) for p in errors[1].problems] == [
        "row 3, column 'target': 'm9' is not the id of any profile"
    ]
    frame, known_links, errors = check_files(profiles.with_name("none.csv"), links)
    assert [str(p) for p in errors[0].problems] == ["file not found"]
    assert errors[1:] == [] and len(known_links) == 2  # no ids to check the links against


def test_every_check_of_user_input_raises_an_input_error():
    from matcher.engine.artifacts import ArtifactError
    from matcher.errors import InputError
    from matcher.filters import FilterError
    from matcher.sessions.model import AgendaConflictError, SessionValidationError

    for error in (
        ProfileValidationError,
        SessionValidationError,
        AgendaConflictError,
        ArtifactError,
        FilterError,
    ):
        assert issubclass(error, InputError)
    assert issubclass(ArtifactError, RuntimeError)  # as it was, for callers that catch that


def test_over_long_cells_are_refused_before_any_heavy_work():
    """Issue 12, finding 12: a 10 MB description held tag extraction until the worker was
    killed, and a 100,000-character name was accepted. Every path (files, imports) now has the
    JSON API's limits, checked first, and the message does not echo the whole cell."""
    from matcher.profiles import CELL_LIMITS, ProfileValidationError, validate_profiles

    raw = pd.DataFrame(
        [
            {
                "id": "a",
                "name": "N" * 100_000,
                "network": "kharkiv-fashion-cluster",
                "country": "UA",
                "org_type": "manufacturer",
                "offers": "sewing",
                "city": "Kharkiv",
                "description": "Шукаємо пошив трикотажу. " * 400_000,
            }
        ]
    )
    with pytest.raises(ProfileValidationError) as caught:
        validate_profiles(raw)
    problems = {(p.row, p.column): p for p in caught.value.problems}
    assert set(problems) == {(2, "name"), (2, "description")}
    assert "100,000 characters; at most 300" in problems[(2, "name")].message
    assert len(str(caught.value)) < 1_000
    at_limit = raw.assign(name="N" * CELL_LIMITS["name"], description="Шукаємо пошив трикотажу.")
    assert validate_profiles(at_limit).loc["a", "name"] == "N" * 300


def test_a_workbook_that_expands_past_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    """Issue 12, finding 11: a small XLSX expanding to a huge sheet held a worker for minutes.
    The parts' declared sizes are read from the zip directory first."""
    import zipfile

    from matcher import profiles
    from matcher.profiles import ProfileValidationError, read_table

    path = tmp_path / "bomb.xlsx"
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
        for i in range(1, 20_001)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr(
            "xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData></worksheet>"
        )
    monkeypatch.setattr(profiles, "XLSX_MAX_UNCOMPRESSED", path.stat().st_size * 10)
    with pytest.raises(ProfileValidationError, match="MB uncompressed; at most"):
        read_table(path)
