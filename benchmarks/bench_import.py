"""Import of members through the HTTP API, beside the floor of the same rows written raw.

Builds a fresh app (:func:`api.create_app`) on SQLite (a file in a temporary folder) and/or on
PostgreSQL (the database named by ``--postgres-url``: its ``public`` schema is WIPED), adds an
admin, and generates ``--rows`` members (:func:`matcher.datasets.generator.generate_cluster`,
with contact columns) as one CSV file. Then, ``--repeat`` times:

* **create**: ``POST /api/v1/import/members`` of the file into an empty members table;
* **unchanged**: the same file again (every row read, validated and compared; nothing written);
* **update**: the file with every row's city changed (every row rewritten, one revision more).

Each request goes through the whole app (multipart parsing, authentication, reading the CSV,
validating every profile, the writes, the commit) in this process, by Flask's test client: no
socket and no HTTP server, whose cost for one request of a 2-4 MB body is a few milliseconds.

Beside them, in the same run and on the same database:

* **floor**: the same rows, their columns already computed, inserted by one raw DBAPI
  ``executemany`` in one transaction (rolled back) -- the least any import of them could cost;
* **read** and **validate**: :func:`api.services.transfer.read_upload` and
  :func:`matcher.profiles.validate_profiles` on the same file alone, to show where the rest goes.

Prints one JSON document (medians and minima in seconds, and the machine's load).

Usage::

    .venv/bin/python benchmarks/bench_import.py --rows 10000
    .venv/bin/python benchmarks/bench_import.py --rows 10000 --database both \\
        --postgres-url postgresql+psycopg://matcher:matcher@127.0.0.1/matcher_bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def generated_rows(n_rows: int):
    """`n_rows` generated members (5 % of the home cluster) with contacts, as a raw frame."""
    from matcher.datasets.generator import generate_cluster

    n_home = max(n_rows // 20, 1)
    profiles, _links = generate_cluster(n_home=n_home, n_international=n_rows - n_home, seed=0)
    profiles["contact_person"] = "Olena Koval"
    profiles["contact_email"] = profiles["id"] + "@example.org"
    profiles["contact_phone"] = "+380 57 700 00 00"
    return profiles


def wipe_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def raw_floor(engine, rows: list[dict]) -> float:
    """Seconds to insert `rows` (member columns, profile as JSON text) by one DBAPI
    ``executemany`` in one transaction, rolled back so that the table stays as it was."""
    columns = list(rows[0])
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO members ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    )
    values = [tuple(row[c] for c in columns) for row in rows]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("DELETE FROM members")
        started = time.perf_counter()
        cursor.executemany(statement, values)
        elapsed = time.perf_counter() - started
        connection.rollback()
    finally:
        connection.close()
    return elapsed


def floor_rows(raw) -> list[dict]:
    """The rows an import of `raw` writes, with the columns a raw insert needs."""
    import datetime as dt

    from api.services.members import member_columns
    from matcher.profiles import frame_to_profiles, validate_profiles

    frame = validate_profiles(
        raw.drop(columns=["contact_person", "contact_email", "contact_phone"])
    )
    now = dt.datetime.now(dt.UTC)
    rows = []
    for profile, (person, email, phone) in zip(
        frame_to_profiles(frame),
        raw[["contact_person", "contact_email", "contact_phone"]].itertuples(index=False),
    ):
        values = member_columns(profile, {"person": person, "email": email, "phone": phone})
        values["profile"] = json.dumps(values["profile"])
        rows.append(
            {
                "member_id": profile.member_id,
                **values,
                "created_at": now,
                "updated_at": now,
                "revision": 1,
            }
        )
    return rows


def run(database: str, url: str, folder: Path, raw, repeat: int) -> dict:
    from sqlalchemy import delete

    from api import create_app
    from api.auth import create_user
    from api.db import get_db, get_engine, upgrade
    from api.services.transfer import read_upload
    from api.tables import Member
    from matcher.profiles import validate_profiles

    if database == "postgres":
        wipe_postgres(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "MODELS_DIR": str(folder / "models"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade(get_engine())
        session = get_db()
        token = create_user(session, "bench-admin", "admin")[1]
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    files = {"create": raw.to_csv(index=False).encode("utf-8")}
    files["unchanged"] = files["create"]
    changed = raw.copy()
    changed["city"] = raw["city"] + " district"
    files["update"] = changed.to_csv(index=False).encode("utf-8")
    expected = {
        "create": {"created": len(raw), "updated": 0, "unchanged": 0},
        "unchanged": {"created": 0, "updated": 0, "unchanged": len(raw)},
        "update": {"created": 0, "updated": len(raw), "unchanged": 0},
    }

    def post(content: bytes) -> tuple[float, dict]:
        # The multipart body is encoded before the clock starts, as a client would have it.
        boundary = "bench-import"
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="members.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        started = time.perf_counter()
        response = client.post(
            "/api/v1/import/members",
            headers=headers,
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{database}: import answered {response.status_code}: {response.json}")
        return elapsed, response.json

    timings: dict[str, list[float]] = {name: [] for name in (*files, "floor", "read", "validate")}
    rows = floor_rows(raw)
    for _round in range(repeat):
        with app.app_context():
            session = get_db()
            session.execute(delete(Member))
            session.commit()
        for name, content in files.items():
            elapsed, counts = post(content)
            if counts != expected[name]:
                raise SystemExit(f"{database} {name}: {counts}, expected {expected[name]}")
            timings[name].append(elapsed)
        with app.app_context():
            timings["floor"].append(raw_floor(get_engine(), rows))
        started = time.perf_counter()
        table, _unit = read_upload(files["create"], "members.csv", None, "profiles")
        timings["read"].append(time.perf_counter() - started)
        started = time.perf_counter()
        validate_profiles(table.drop(columns=["contact_person", "contact_email", "contact_phone"]))
        timings["validate"].append(time.perf_counter() - started)
    with app.app_context():
        get_engine().dispose()
    return {
        name: {"median_s": round(statistics.median(v), 3), "min_s": round(min(v), 3)}
        for name, v in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MATCHER_BENCH_DATABASE_URL", ""),
        help="PostgreSQL database to WIPE and use (default: $MATCHER_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and not args.postgres_url:
        parser.error("--database postgres needs --postgres-url (or $MATCHER_BENCH_DATABASE_URL)")
    raw = generated_rows(args.rows)
    result = {
        "rows": args.rows,
        "repeat": args.repeat,
        "client": "Flask test client (whole app in process, no socket)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as folder:
        for database in databases:
            url = (
                f"sqlite:///{Path(folder) / 'bench.sqlite'}"
                if database == "sqlite"
                else args.postgres_url
            )
            result[database] = run(database, url, Path(folder), raw, args.repeat)
            print(json.dumps({database: result[database]}), file=sys.stderr, flush=True)
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
