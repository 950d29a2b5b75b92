"""Area packages offer their modules' public names, loading a module only when asked."""

import importlib
import subprocess
import sys

import pytest

AREAS = {
    "matcher.engine": ("ranking", "artifacts", "evaluation", "features", "pairs", "topk"),
    "matcher.batch": ("scoring", "jobs", "outputs"),
    "matcher.sessions": ("model", "wishes", "agenda", "edits", "outcomes", "scheduler", "exports"),
    "matcher.insights": (
        "common",
        "gradation",
        "supply",
        "markets",
        "network",
        "outcomes",
        "cluster",
        "report",
    ),
    "matcher.datasets": ("generator", "value_chain"),
}


@pytest.mark.parametrize("package", sorted(AREAS))
def test_a_package_offers_each_public_name_of_its_modules(package):
    area = importlib.import_module(package)
    for module in AREAS[package]:
        loaded = importlib.import_module(f"{package}.{module}")
        for name in loaded.__all__:
            assert name in area.__all__
            # The first module (in the package's order) that has the name gives it.
            assert getattr(area, name) is not None
    assert set(area.__all__) <= set(dir(area))
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'nothing'"):
        area.nothing  # noqa: B018
    with pytest.raises(AttributeError):
        area._private  # noqa: B018


def test_importing_one_module_does_not_load_its_neighbours():
    code = (
        "import sys; from matcher.sessions import Session; "
        "assert 'matcher.sessions.model' in sys.modules; "
        "assert 'matcher.sessions.scheduler' not in sys.modules; "
        "assert 'matcher.sessions.exports' not in sys.modules; "
        "from matcher.engine import PartnerMatcher; "
        "assert 'matcher.engine.evaluation' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reading_manifests_does_not_load_the_engine():
    """`matcher models` reads JSON: neither the engine nor its libraries are imported (issue 18)."""
    code = (
        "import sys; from matcher.engine.artifacts import list_models, read_manifest; "
        "list_models('no-such-folder'); "
        "heavy = {'matcher.engine.ranking', 'sklearn', 'pandas', 'joblib', 'numba', 'scipy'}; "
        "assert not heavy & set(sys.modules), heavy & set(sys.modules); "
        "from matcher.engine.artifacts import canonical_sparse; "
        "from matcher.canonical import canonical_sparse as original; "
        "assert canonical_sparse is original"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
