"""Load-test the suggestions endpoint over HTTP on 127.0.0.1.

Builds a fresh instance (SQLite database under a temporary folder) with N generated members
(:func:`matcher.datasets.generator.generate_cluster`) and their links, trains and activates a model,
starts ``matcher serve`` (gunicorn) in its own process, then runs C concurrent clients in
separate processes (keep-alive HTTP/1.1, one bearer token per client; ``--client wrk``: one
``wrk`` process with C connections, far cheaper on the cores it shares with the server) that ask
``GET /api/v1/members/{member_id}/suggestions?k=10`` for random home members (as managers of
the home cluster) for D seconds.
Prints requests per second, p50/p90/p99 latency and errors as JSON.

One server per ``--cache-size`` (default ``4096 0``: the per-worker suggestion cache on, then
off, on the same data in the same run, so that the cached figures stand beside the ranking's
own); for each, the first ``--first-requests`` requests right after the server is ready are
timed one by one too (a fresh worker's first callers) and the time until it is ready.

Usage::

    .venv/bin/python benchmarks/bench_api.py --members 10000 --clients 16 --seconds 60
    .venv/bin/python benchmarks/bench_api.py --members 10000 --clients 16 --seconds 60 \
        --client wrk --warmup 30
    .venv/bin/python benchmarks/bench_api.py --members 2000 --clients 4 --seconds 10  # smoke run
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def build_instance(
    folder: Path, n_members: int, n_clients: int, model_kind: str
) -> tuple[dict, list[str], list[str]]:
    """Fill a fresh database; return the service's environment, one manager token per client
    and the home members' ids (the members whose suggestions are asked for)."""
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "MATCHER_MODELS_DIR": str(folder / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": f"matcher-sqlite:///{folder / 'limits.sqlite'}",
        "MATCHER_SUGGESTION_RATE_LIMIT": '"1000000/minute"',
        "MATCHER_MODEL_KIND": json.dumps(model_kind),
    }
    os.environ.update(env)
    from api import create_app
    from api.auth import create_user
    from api.db import get_db, get_engine, upgrade
    from api.services.serving import train_version
    from api.services.transfer import import_links, import_members
    from api.tables import ModelVersion
    from matcher.datasets.generator import generate_cluster

    started = time.perf_counter()
    n_home = max(n_members // 20, n_clients)
    profiles, links = generate_cluster(n_home=n_home, n_international=n_members - n_home, seed=0)
    app = create_app()
    with app.app_context():
        upgrade(get_engine())
        session = get_db()
        import_members(session, profiles, "row", "generated")
        import_links(session, links, "row", "generated")
        home = sorted(profiles.loc[profiles["network"] == "kharkiv-fashion-cluster", "id"])
        tokens = [
            create_user(session, f"bench-{i}", "manager", network_id="kharkiv-fashion-cluster")[1]
            for i in range(n_clients)
        ]
        version = ModelVersion(status="training", active=False)
        session.add(version)
        session.commit()
        version_id = version.version_id
    print(
        f"imported {len(profiles)} members and {len(links)} links "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    started = time.perf_counter()
    train_version(app, version_id)
    with app.app_context():
        status = get_db().get(ModelVersion, version_id)
        if status.status != "ready":
            raise SystemExit(f"training failed: {status.error}")
    print(f"trained in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    get_engine(app).dispose()
    return env, tokens, home


def client(
    port: int,
    token: str,
    home: list[str],
    seconds: float,
    start_at: float,
    warmup: float,
    seed: int,
    queue,
) -> None:
    """One client: requests for random home members, back to back on a keep-alive connection,
    until the time is up; requests of the first `warmup` seconds are not counted."""
    rng = random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    latencies, errors = [], 0
    measure_from = start_at + warmup
    end = measure_from + seconds
    while time.time() < end:
        counted = time.time() >= measure_from
        t0 = time.perf_counter()
        try:
            member_id = rng.choice(home)
            connection.request(
                "GET", f"/api/v1/members/{member_id}/suggestions?k=10", headers=headers
            )
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if counted:
            latencies.append(time.perf_counter() - t0)
            errors += not ok
    queue.put((latencies, errors))


WRK_SCRIPT = """
local ids = {%(ids)s}
local tokens = {%(tokens)s}
local n = 0
request = function()
  n = n + 1
  local id = ids[math.random(#ids)]
  local token = tokens[(n %% #tokens) + 1]
  return wrk.format("GET", "/api/v1/members/" .. id .. "/suggestions?k=10",
                    {["Authorization"] = "Bearer " .. token})
end
"""

_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(
    port: int, tokens: list[str], home: list[str], clients: int, seconds: float, folder: Path
) -> dict:
    """Run ``wrk --latency`` (2 threads, `clients` connections) and parse its summary."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client python")
    script = folder / "suggestions.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "ids": ", ".join(json.dumps(i) for i in home),
            "tokens": ", ".join(json.dumps(t) for t in tokens),
        },
        encoding="utf-8",
    )
    output = subprocess.run(
        [
            wrk,
            "-t",
            str(min(2, clients)),
            "-c",
            str(clients),
            "-d",
            f"{int(seconds)}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(output, file=sys.stderr)
    latency = {
        int(q): float(v) * _UNIT[u]
        for q, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    }
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = sum(
        int(x)
        for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", output)
        + re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    )
    return {"requests": requests, "errors": errors, "latency_ms": latency}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--model-kind", default="auto", choices=["auto", "default", "logistic", "gbt"]
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="Seconds of load before measuring (fills the workers' caches).",
    )
    parser.add_argument(
        "--cache-size",
        type=int,
        nargs="+",
        default=[4096, 0],
        help="Per-worker suggestion cache entries (0: every request ranks afresh); one server "
        "and one measurement per size given, on the same data (default: cached, then uncached).",
    )
    parser.add_argument(
        "--warm-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Workers rank the home members before they serve (SUGGESTION_WARM_UP; "
        "--no-warm-up shows what a fresh worker's first callers waited for before).",
    )
    parser.add_argument(
        "--first-requests",
        type=int,
        default=16,
        help="Requests timed one by one right after the server is ready (a fresh worker's "
        "first callers).",
    )
    parser.add_argument(
        "--client",
        default="python",
        choices=["python", "wrk"],
        help="Load generator: Python client processes, or one wrk process (--clients connections).",
    )
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gunicorn's access log (on by default, as `matcher serve`).",
    )
    parser.add_argument("--out", type=Path, help="Also write the result as JSON here.")
    parser.add_argument(
        "--instance",
        type=Path,
        help="Keep the built instance (database, model, tokens) in this folder and reuse it in "
        "later runs with the same --members and --clients (building 10k members and training "
        "takes about a minute of both cores); default: a temporary folder, built afresh.",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.instance or Path(tmp)
        env, tokens, home = kept_instance(folder, args)
        runs = [
            serve_and_measure(args, env, tokens, home, cache_size, folder)
            for cache_size in args.cache_size
        ]
    common = {
        "members": args.members,
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "workers": args.workers,
        "threads": args.threads,
        "model_kind": args.model_kind,
        "home_members_asked": len(home),
        "client": args.client,
        "access_log": args.access_log,
        "warm_up": args.warm_up,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_before": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d"),
    }
    result = {**common, **runs[0], "runs": runs} if len(runs) > 1 else {**common, **runs[0]}
    print(json.dumps(result, indent=2))
    print(
        "\n| cache | requests/s | p50 | p90 | p99 | errors | ready after | first requests |",
        file=sys.stderr,
    )
    for run in runs:
        print(
            f"| {run['cache_size']} | {run['requests_per_s']:,.1f} | {run['p50_ms']:.1f} ms "
            f"| {run['p90_ms']:.1f} ms | {run['p99_ms']:.1f} ms | {run['errors']} "
            f"| {run['ready_after_s']:.1f} s | median {run['first_requests_ms']['median']:.1f} ms,"
            f" max {run['first_requests_ms']['max']:.1f} ms |",
            file=sys.stderr,
        )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def kept_instance(folder: Path, args: argparse.Namespace) -> tuple[dict, list[str], list[str]]:
    """:func:`build_instance` in `folder`, or the instance an earlier run built there (its
    environment, tokens and home members are kept in ``instance.json``)."""
    saved = folder / "instance.json"
    wanted = {"members": args.members, "clients": args.clients, "model_kind": args.model_kind}
    if saved.exists():
        kept = json.loads(saved.read_text(encoding="utf-8"))
        if kept["built_with"] != wanted:
            raise SystemExit(f"{folder} holds an instance built with {kept['built_with']}")
        os.environ.update(kept["env"])
        return kept["env"], kept["tokens"], kept["home"]
    folder.mkdir(parents=True, exist_ok=True)
    env, tokens, home = build_instance(folder, args.members, args.clients, args.model_kind)
    kept = {"built_with": wanted, "env": env, "tokens": tokens, "home": home}
    saved.write_text(json.dumps(kept), encoding="utf-8")
    return env, tokens, home


def first_requests(port: int, token: str, home: list[str], n: int) -> dict:
    """Time the first `n` requests of a fresh server, one at a time, each for another home
    member (what a worker's first callers wait for: a ranking, unless it was made before the
    worker took traffic)."""
    latencies = []
    for member_id in home[:n]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t0 = time.perf_counter()
        connection.request(
            "GET",
            f"/api/v1/members/{member_id}/suggestions?k=10",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        response.read()
        latencies.append(1000 * (time.perf_counter() - t0))
        connection.close()
        if response.status != 200:
            raise SystemExit(f"first request for {member_id}: status {response.status}")
    latencies.sort()
    return {
        "n": len(latencies),
        "median": round(latencies[len(latencies) // 2], 2),
        "max": round(latencies[-1], 2),
    }


def serve_and_measure(
    args: argparse.Namespace,
    env: dict,
    tokens: list[str],
    home: list[str],
    cache_size: int,
    folder: Path,
) -> dict:
    """Start ``matcher serve`` with `cache_size` cache entries per worker, time its first
    requests, then load it (after ``--warmup`` seconds of load) and return the figures."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("matcher")),
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            *([] if args.access_log else ["--no-access-log"]),
        ],
        env={
            **os.environ,
            **env,
            "MATCHER_SUGGESTION_CACHE_SIZE": str(cache_size),
            "MATCHER_SUGGESTION_WARM_UP": "true" if args.warm_up else "false",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        deadline = started + 180
        while True:  # ready = a worker answers with a model loaded
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/ready", timeout=60):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not become ready") from None
                time.sleep(0.2)
        ready_after = time.monotonic() - started
        first = first_requests(args.port, tokens[0], home, args.first_requests)
        if args.client == "wrk":
            if args.warmup > 0:
                run_wrk(args.port, tokens, home, args.clients, args.warmup, folder)
            measured = run_wrk(args.port, tokens, home, args.clients, args.seconds, folder)
            n_requests, errors = measured["requests"], measured["errors"]
            p50, p90, p99 = (measured["latency_ms"].get(q) for q in (50, 90, 99))
        else:
            queue = mp.get_context("spawn").Queue()
            start_at = time.time() + 2.0
            processes = [
                mp.get_context("spawn").Process(
                    target=client,
                    args=(args.port, token, home, args.seconds, start_at, args.warmup, seed, queue),
                )
                for seed, token in enumerate(tokens)
            ]
            for process in processes:
                process.start()
            results = [queue.get() for _ in processes]
            for process in processes:
                process.join()
            latencies = [x for lat, _ in results for x in lat]
            errors = sum(e for _, e in results)
            n_requests = len(latencies)
            p50, p90, p99 = (1000 * percentile(latencies, q) for q in (50, 90, 99))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "cache_size": cache_size,
        "ready_after_s": round(ready_after, 2),
        "first_requests_ms": first,
        "requests": n_requests,
        "errors": errors,
        "requests_per_s": round(n_requests / args.seconds, 1),
        "p50_ms": round(p50, 2),
        "p90_ms": round(p90, 2),
        "p99_ms": round(p99, 2),
        "load_after": os.getloadavg()[0],
    }


if __name__ == "__main__":
    main()
