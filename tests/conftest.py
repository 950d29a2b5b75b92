"""Shared fixtures: a small hand-built cluster whose right answers are obvious."""

from __future__ import annotations

import os

# One thread per worker for OpenMP (scikit-learn's trees) and OpenBLAS, set before either loads
# (this file is imported before any test module, numpy included). The suite runs a worker per
# core (pytest-xdist); the libraries' own threads on top wait for one another at every barrier
# while the other worker holds the core, and spinning there burns the CPU the suite needs: a
# test fitting four calibrated models took 119 s beside a busy worker with them and 17 s
# without. Results do not depend on it (the service's tests ask the same of their servers).
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

from pathlib import Path

import pandas as pd
import pytest
from small_cluster import CLUSTER, LINKS, write_csv

from matcher.profiles import Link, validate_profiles


@pytest.fixture
def cluster_frame() -> pd.DataFrame:
    return validate_profiles(pd.DataFrame(CLUSTER).fillna(""))


@pytest.fixture
def cluster_links() -> list[Link]:
    return list(LINKS)


@pytest.fixture
def cluster_files(tmp_path: Path) -> tuple[Path, Path]:
    profiles = write_csv(tmp_path / "profiles.csv", CLUSTER)
    links = write_csv(
        tmp_path / "links.csv",
        [{"source": l.source, "target": l.target, "kind": l.kind} for l in LINKS],
    )
    return profiles, links


# Hypothesis profiles (tests/test_contract_properties.py). "default", what plain `python -m
# pytest` runs: bounded for CI, a few examples per test, the same ones on every run
# (derandomized, no example database). `pytest --hypothesis-profile=slow`: many more examples,
# new ones each run (failures are kept in .hypothesis/ and replayed first).
from hypothesis import HealthCheck, settings

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
# "slow" first: a profile registered without a parent inherits the active one, and registering
# "default" makes it active at once (slow would lose the example database).
settings.register_profile(
    "slow",
    max_examples=80,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "default",
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
)


# Scheduling across the xdist workers (`--dist loadfile`, see pyproject.toml): a test file runs
# on one worker, so its module fixtures are built once. Two changes make the suite end sooner
# on two cores: each notebook run is a unit of its own (one file holding all three would keep
# a worker busy for minutes); the browser tests are one unit, so that one worker starts their
# live service and Chromium, not both (a set-up of 10-20 s); and the longest units are handed
# out first instead of last (xdist orders units by their number of tests, and these have few),
# so that no worker is left running one of them alone at the end. Seconds as measured on two
# cores.
BROWSER_TESTS = "tests/browser/"
LONGEST_FIRST = (
    "tests/test_notebooks.py::test_notebook_runs[03-evaluation.ipynb]",  # 115
    BROWSER_TESTS,  # 110
    "tests/api/test_api_recovery_live.py",  # 80
    "tests/api/test_api_schema_live.py",  # 65
    "tests/test_contract_properties.py",  # 50
    "tests/api/test_api_insights_jobs.py",  # 40
    "tests/engine/test_learning.py",  # 30
    "tests/test_notebooks.py::test_notebook_runs[02-cluster-insights.ipynb]",  # 25
    "tests/test_notebooks.py::test_notebook_runs[01-explore-cluster.ipynb]",  # 20
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFirstScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/test_notebooks.py::test_notebook_runs["):
                return nodeid
            if nodeid.startswith(BROWSER_TESTS):
                return BROWSER_TESTS
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            for scope in reversed(LONGEST_FIRST):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return LongestFirstScheduling(config, log)
