"""The cluster insights of the service on the shipped sample: the background job, and what a
request waits for meanwhile.

Builds a fresh app on SQLite (a file in a temporary folder), imports the sample cluster
(2,150 profiles, their links and networks' names), trains and activates a model (not timed).
Then, ``--repeat`` times, with no stored figures:

* **request_computing**: the first ``GET /api/v1/insights`` of the home cluster's manager (Flask's
  test client): it starts the job and answers 202 at once;
* **job**: the background job (:func:`api.services.insights.compute_stored_insights`), from
  that request until its thread ends: reading the inputs, the figures, the charts in both
  languages, the three reports, the XLSX, storing them;
* **request_ready**: the next ``GET /api/v1/insights``, answered from the stored result (200).

Beside them, the job's parts one by one on the same inputs and model: ``inputs`` (the live
profiles, links and feedback read and validated), ``figures``
(:func:`matcher.insights.cluster.cluster_insights`), ``layout`` (the network chart's node
positions), ``charts_en`` / ``charts_uk`` (every chart drawn by matplotlib as SVG), ``reports``
(the three HTML reports) and ``tables`` (the XLSX). The figures are the floor of the job: the
rest is presentation.

Once the app is built, its objects are frozen out of the garbage collector's reach
(``gc.freeze()``), as a served worker does once it has loaded the app and the model
(:mod:`api.gunicorn_workers`): a full collection, which the job's many objects start, then scans
only what was made since, not the app's some 4 * 10^5 objects. ``--no-gc-freeze`` measures
without it (the collections then cost the job 0.15-0.3 s more).

Prints one JSON document (medians and minima in seconds, and the machine's load). Under load,
set ``--blas-threads 1``: a BLAS that spins on both cores while other processes hold them makes
every product many times slower (the figures' were 4-6x on a loaded 2-core machine).

Usage::

    .venv/bin/python benchmarks/bench_insights.py --repeat 3
    .venv/bin/python benchmarks/bench_insights.py --repeat 3 --blas-threads 1
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOME = "kharkiv-fashion-cluster"


def build_app(folder: Path):
    """A fresh app with the sample cluster and an active model; return (app, manager token)."""
    from api import create_app
    from api.auth import create_user
    from api.db import get_db, get_engine, upgrade
    from api.services.networks import store_network_names
    from api.services.serving import train_new_version
    from api.services.transfer import import_links, import_members
    from matcher.datasets.generator import SAMPLE_DIR
    from matcher.profiles import read_network_names, read_table

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "MODELS_DIR": str(folder / "models"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade(get_engine())
        session = get_db()
        store_network_names(session, read_network_names(SAMPLE_DIR / "networks.csv"))
        raw, unit = read_table(SAMPLE_DIR / "profiles.csv", "profiles")
        import_members(session, raw, unit, "profiles.csv")
        raw, unit = read_table(SAMPLE_DIR / "links.csv", "links")
        import_links(session, raw, unit, "links.csv")
        token = create_user(session, "bench-manager", "manager", network_id=HOME)[1]
        session.commit()
    version = train_new_version(app)
    if version.status != "ready":
        raise SystemExit(f"training failed: {version.error}")
    return app, token, version.version_id


def job_round(app, client, headers: dict) -> dict[str, float]:
    """One computation from nothing stored: the requests' and the job's seconds."""
    from sqlalchemy import delete

    from api.db import get_db
    from api.tables import StoredInsights

    with app.app_context():
        session = get_db()
        session.execute(delete(StoredInsights))
        session.commit()
    started = time.perf_counter()
    first = client.get("/api/v1/insights", headers=headers)
    answered = time.perf_counter()
    if first.status_code != 202:
        raise SystemExit(f"first request answered {first.status_code}, expected 202")
    for thread in list(app.extensions.get("matcher_threads", [])):
        thread.join()
    finished = time.perf_counter()
    ready_started = time.perf_counter()
    ready = client.get("/api/v1/insights", headers=headers)
    ready_answered = time.perf_counter()
    if ready.status_code != 200 or ready.json["stale"]:
        raise SystemExit(f"after the job: {ready.status_code} {ready.json}")
    return {
        "request_computing": answered - started,
        "job": finished - started,
        "request_ready": ready_answered - ready_started,
    }


def parts_round(app, version_id: int, folder: Path) -> dict[str, float]:
    """The job's parts one by one, as :func:`api.services.insights.compute_stored_insights`
    runs them."""
    from api.db import session_factory
    from api.services.insights import insights_from, insights_inputs
    from api.services.serving import holder
    from matcher.insights.report import charts, network_layout, render_report, write_tables

    timings = {}
    with app.app_context():
        with session_factory(app)() as session:
            matcher = holder(app).get(session).matcher
            started = time.perf_counter()
            inputs = insights_inputs(session, HOME)
            timings["inputs"] = time.perf_counter() - started
        started = time.perf_counter()
        insights = insights_from(inputs, HOME, matcher)
        timings["figures"] = time.perf_counter() - started
        started = time.perf_counter()
        layout = network_layout(insights)
        timings["layout"] = time.perf_counter() - started
        drawn = {}
        for language in ("en", "uk"):
            started = time.perf_counter()
            drawn[language] = charts(insights, language, layout)
            timings[f"charts_{language}"] = time.perf_counter() - started
        started = time.perf_counter()
        for language in ("en", "uk", "both"):
            render_report(insights, language, generated="2026-12-07", drawn=drawn)
        timings["reports"] = time.perf_counter() - started
        started = time.perf_counter()
        write_tables(insights, folder / "tables.xlsx")
        timings["tables"] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--blas-threads", type=int, help="threads of the BLAS (default: the library's own)"
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the app's objects to the garbage collector (a served worker freezes them)",
    )
    args = parser.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    result = {
        "repeat": args.repeat,
        "data": "the shipped sample (2,150 profiles), SQLite",
        "client": "Flask test client (whole app in process, no socket)",
        "blas_threads": args.blas_threads or "default",
        "gc_freeze": not args.no_gc_freeze,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        app, token, version_id = build_app(folder)
        result["setup_s"] = round(time.perf_counter() - started, 1)
        if not args.no_gc_freeze:
            gc.freeze()  # as api.gunicorn_workers does once the app is loaded
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        timings: dict[str, list[float]] = {}
        for _round in range(args.repeat):
            for name, seconds in job_round(app, client, headers).items():
                timings.setdefault(name, []).append(seconds)
            for name, seconds in parts_round(app, version_id, folder).items():
                timings.setdefault(name, []).append(seconds)
        for thread in app.extensions.get("matcher_threads", []):
            thread.join()
        from api.db import get_engine

        with app.app_context():
            get_engine().dispose()
    result.update(
        {
            name: {"median_s": round(statistics.median(v), 3), "min_s": round(min(v), 3)}
            for name, v in timings.items()
        }
    )
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
