"""Trained model artifacts: ``models/<name>/model.joblib`` with a ``manifest.json`` beside it.

The manifest records when and from what the model was made (versions of Python, scikit-learn and
this package, the SHA-256 of the artifact, a hash of the training data, the number of profiles
and links, evaluation figures). Loading checks the hash and the versions and refuses a mismatch
with a message that says what differs. Files are written to a temporary name and renamed, so a
reader never sees half an artifact.

The manifests are JSON: reading them (:func:`read_manifest`, :func:`list_models`, so `matcher
models`) imports neither the engine nor scikit-learn, pandas or joblib, which saving and loading
a model import when called.

Beside the pickle, ``models/<name>/serving/`` holds the model's serving artifact when the model
allows one (:mod:`matcher.engine.serving`: plain arrays and a JSON document, each file's SHA-256
in the manifest's ``serving`` entry): :func:`load_serving` reads it with the same checks, without
those libraries, for the one-shot ``matcher recommend --model NAME``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import json
import platform
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import InputError
from ..files import atomic_write_bytes
from . import MODULES

if TYPE_CHECKING:
    import pandas as pd

    from ..profiles import Link
    from .ranking import PartnerMatcher
    from .serving import ServingModel

__all__ = [
    "DEFAULT_MODELS_DIR",
    "ArtifactError",
    "canonical_sparse",  # noqa: F822 (matcher.canonical's, through __getattr__)
    "data_hash",
    "list_models",
    "load_model",
    "load_serving",
    "read_manifest",
    "save_model",
]

DEFAULT_MODELS_DIR = Path("models")
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"

#: Where the engine's modules of earlier releases now live. Until the engine became a package of
#: its own, its classes were ``matcher.ranking.PartnerMatcher`` and so on, and a model trained then
#: names them by those paths; loading reads such a model through these names instead of refusing
#: a service's trained versions after an upgrade.
FORMER_MODULES = {f"matcher.{name}": f"matcher.engine.{name}" for name in MODULES}


def __getattr__(name: str) -> Any:
    # canonical_sparse, offered here as before, is matcher.canonical's (which imports pandas
    # and scipy): imported when asked for.
    if name == "canonical_sparse":
        from ..canonical import canonical_sparse

        return canonical_sparse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ArtifactError(InputError, RuntimeError):
    """A model artifact is missing, damaged, tampered with, or made by other versions.

    Input the user can fix (give the name of a model that exists, or train it again), hence an
    :class:`~matcher.errors.InputError`; still a ``RuntimeError``, as it was before, for callers
    that catch that.
    """


def data_hash(frame: pd.DataFrame, links: Iterable[Link] = ()) -> str:
    """Return a SHA-256 of the training profiles and links (order-independent)."""
    digest = hashlib.sha256()
    columns = [c for c in frame.columns if c != "extra"]
    rows = sorted(
        json.dumps([str(v) for v in row], ensure_ascii=False)
        for row in frame[columns].itertuples(index=False)
    )
    for row in rows:
        digest.update(row.encode("utf-8"))
    for link in sorted((l.source, l.target, l.kind, l.date or "") for l in links):
        digest.update("\x1f".join(link).encode("utf-8"))
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "cluster-matcher": __version__,
    }


def save_model(
    matcher: PartnerMatcher,
    name: str,
    links: Iterable[Link] = (),
    models_dir: str | Path = DEFAULT_MODELS_DIR,
    evaluation: dict[str, Any] | None = None,
) -> Path:
    """Write the fitted `matcher` as ``<models_dir>/<name>/`` and return that folder.

    The artifact is written and renamed first, the manifest last: a folder whose manifest
    names a hash is complete.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(
            f"Got name={name!r}, expected a folder name such as 'kharkiv-2026' "
            "(no '/' or '\\', not starting with '.')"
        )
    import joblib

    from ..canonical import canonical_sparse

    folder = Path(models_dir) / name
    model_path = folder / MODEL_FILE
    canonical_sparse(matcher)
    atomic_write_bytes(model_path, lambda handle: joblib.dump(matcher, handle), private=True)
    # The arrays the one-shot command ranks with numpy alone (None: a model they do not cover).
    from .serving import file_sha256, write_serving

    serving = write_serving(matcher, folder)
    frame = matcher.frame_
    links = list(links)
    manifest = {
        "name": name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "artifact": MODEL_FILE,
        "sha256": file_sha256(model_path),
        "data_sha256": data_hash(frame, links),
        "profiles": len(frame),
        "links": len(links),
        "positive_links": len(matcher.positive_pairs_),
        "networks": int(frame["network"].nunique()),
        "model": matcher.model_kind_,
        "params": matcher.get_params(),
        # The learned model's family and parameters, the features it leaves out, and with
        # model="auto" how the inner cross-validation chose them (every candidate's score).
        "candidate": matcher.candidate_.to_dict() if getattr(matcher, "candidate_", None) else None,
        "dropped_features": list(getattr(matcher, "dropped_features_", ())),
        # What the feedback events taught: pairs by outcome (matcher.engine.learning).
        "feedback": getattr(matcher.feedback_, "outcomes", None)
        if getattr(matcher, "feedback_", None) is not None
        else None,
        "model_selection": getattr(matcher, "selection_", None),
        # On large data, the first stage's depth and the share of the top 10 each depth kept.
        "candidate_stage": getattr(matcher, "candidate_stage_", None),
        "evaluation": evaluation,
        "serving": serving,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    atomic_write_bytes(folder / MANIFEST_FILE, lambda handle: handle.write(text), private=True)
    return folder


def read_manifest(
    name_or_path: str | Path, models_dir: str | Path = DEFAULT_MODELS_DIR
) -> dict[str, Any]:
    """Return the manifest of a model given by name or by folder path."""
    folder = _folder(name_or_path, models_dir)
    path = folder / MANIFEST_FILE
    if not path.exists():
        option = "" if Path(models_dir) == DEFAULT_MODELS_DIR else f" --models-dir {models_dir}"
        raise ArtifactError(
            f"no model at {folder} ({MANIFEST_FILE} is missing): `matcher models"
            f"{option}` lists the trained models; `matcher train --name "
            f"{folder.name}{option}` trains one"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{path} is not valid JSON: {error}") from None


def _folder(name_or_path: str | Path, models_dir: str | Path) -> Path:
    path = Path(name_or_path)
    if path.is_dir() and (path / MANIFEST_FILE).exists():
        return path
    return Path(models_dir) / str(name_or_path)


def load_model(
    name_or_path: str | Path,
    models_dir: str | Path = DEFAULT_MODELS_DIR,
    check_versions: bool = True,
) -> tuple[PartnerMatcher, dict[str, Any]]:
    """Load a model after checking its SHA-256 and the versions it was made with.

    Raises
    ------
    ArtifactError
        If the artifact is missing, its hash differs from the manifest (damaged or tampered
        with), or it was made with another Python minor version, scikit-learn or package version.
    """
    folder = _folder(name_or_path, models_dir)
    # By name and folder as given: the resolved folder read as a name would be looked up
    # under models_dir a second time (models/models/NAME).
    manifest = read_manifest(name_or_path, models_dir)
    model_path = folder / manifest.get("artifact", MODEL_FILE)
    if not model_path.exists():
        raise ArtifactError(f"{model_path} is missing")
    from .serving import file_sha256

    actual = file_sha256(model_path)
    if actual != manifest.get("sha256"):
        raise ArtifactError(
            f"{model_path} does not match its manifest (SHA-256 {actual[:12]}... "
            f"instead of {str(manifest.get('sha256'))[:12]}...): the file was changed "
            "or damaged; retrain with `matcher train`"
        )
    if check_versions:
        _check_versions(manifest, folder, _versions())
    import joblib

    from .ranking import PartnerMatcher

    with _former_module_names():
        matcher = joblib.load(model_path)
    if not isinstance(matcher, PartnerMatcher):
        raise ArtifactError(f"{model_path} does not hold a PartnerMatcher")
    return matcher, manifest


def _check_versions(manifest: dict[str, Any], folder: Path, now: dict[str, str]) -> None:
    """Refuse a model made with another Python minor version, scikit-learn or package version
    than those running (`now`), naming them."""
    made = manifest.get("versions", {})
    problems = []
    if made.get("python", "").rsplit(".", 1)[0] != now["python"].rsplit(".", 1)[0]:
        problems.append(f"Python {made.get('python')} (running {now['python']})")
    for key in ("scikit-learn", "cluster-matcher"):
        if made.get(key) != now[key]:
            problems.append(f"{key} {made.get(key)} (running {now[key]})")
    if problems:
        raise ArtifactError(
            f"model {folder.name!r} was made with "
            + ", ".join(problems)
            + "; retrain it with `matcher train`"
        )


def load_serving(
    name_or_path: str | Path,
    models_dir: str | Path = DEFAULT_MODELS_DIR,
    check_versions: bool = True,
) -> ServingModel | None:
    """The model's serving artifact (:mod:`matcher.engine.serving`), or None for a model saved
    without one (load it with :func:`load_model`). Checks what :func:`load_model` checks (the
    manifest, the versions, the SHA-256 of every file) and imports none of scikit-learn, scipy,
    pandas or numba.

    Raises
    ------
    ArtifactError
        As :func:`load_model`: no such model, a file missing or changed, other versions.
    """
    folder = _folder(name_or_path, models_dir)
    manifest = read_manifest(name_or_path, models_dir)
    entry = manifest.get("serving")
    if not entry:
        return None
    if check_versions:
        # scikit-learn's version as installed, without importing it.
        from importlib.metadata import version

        _check_versions(
            manifest,
            folder,
            {
                "python": platform.python_version(),
                "scikit-learn": version("scikit-learn"),
                "cluster-matcher": __version__,
            },
        )
    from .serving import ServingModel

    try:
        return ServingModel.load(folder, entry)
    except ValueError as error:
        raise ArtifactError(
            f"the serving artifact of model {folder.name!r} cannot be read ({error}): the "
            "files were changed or damaged; retrain with `matcher train`"
        ) from None


@contextlib.contextmanager
def _former_module_names() -> Iterator[None]:
    """While a model is unpickled, the modules of :data:`FORMER_MODULES` answer to their former
    names too (only names no module holds; removed afterwards)."""
    added = [old for old in FORMER_MODULES if old not in sys.modules]
    for old in added:
        sys.modules[old] = importlib.import_module(FORMER_MODULES[old])
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)


def list_models(models_dir: str | Path = DEFAULT_MODELS_DIR) -> list[dict[str, Any]]:
    """Return the manifests of the models under `models_dir`, newest first."""
    root = Path(models_dir)
    if not root.is_dir():
        return []
    manifests = []
    for folder in root.iterdir():
        if (folder / MANIFEST_FILE).exists():
            try:
                manifests.append(read_manifest(folder))
            except ArtifactError:
                continue
    return sorted(manifests, key=lambda m: m.get("created", ""), reverse=True)
