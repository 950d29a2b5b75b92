"""The model that serves suggestions, and retraining without downtime.

Every worker keeps the active model in memory and asks the database which version is active
(at most every ``MODEL_CHECK_SECONDS``; 0 means on every request). When another version has
been activated, the first request to notice loads it while the others keep using the old one;
the swap is one reference assignment. Retraining runs in a background thread: it reads the
current data, fits, checks the new model with a test query, saves it atomically
(:func:`matcher.engine.artifacts.save_model`) and activates it in one transaction; a failure leaves
the old version active and the reason in the version's ``error``.

What depends on the serving model hears of a version that training made active through
:func:`on_activation`: the insights managers read (:mod:`api.services.insights`, which imports
this module) are registered there by the app factory, so this module never imports them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matcher.engine.artifacts import ArtifactError, load_model, save_model
from matcher.engine.learning import FEEDBACK_EVENTS, read_feedback
from matcher.engine.ranking import PartnerMatcher
from matcher.errors import InputError
from matcher.profiles import Link, profiles_to_frame, validate_profiles

from ..db import session_factory
from ..errors import abort
from ..tables import FeedbackEvent, KnownLink, Member, ModelVersion, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """The model a worker serves: its version id, name and fitted matcher."""

    version_id: int
    name: str
    matcher: PartnerMatcher


#: Seconds a worker waits before it tries again to load a version whose artifact failed to
#: load (``MODEL_RETRY_SECONDS`` overrides it); a change of the active version retries at once.
MODEL_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class ServingState:
    """What a worker serves and why: for ``/ready``.

    `served` is None when no version could be loaded; `active_problem` says why the active
    version is not the one served (its artifact failed to load), None when it is served or is
    being loaded by another thread.
    """

    served: Served | None
    active_id: int | None
    active_problem: str | None


def load_servable(models_dir: str | Path, name: str | None) -> PartnerMatcher:
    """Load the artifact `name` and ask it one query: a model that serves must answer.

    Raises
    ------
    ArtifactError
        Whatever went wrong (missing, damaged, made with other versions, no answer), with the
        reason; an unpickling error or a failing query is wrapped too, as any failure means the
        artifact must not serve.
    """
    if not name:
        raise ArtifactError("it has no stored artifact")
    try:
        matcher, _ = load_model(name, models_dir)
        matcher.recommend(str(matcher.frame_.index[0]), k=1)
    except Exception as error:
        raise ArtifactError(
            f"its artifact does not load or answer ({type(error).__name__}: {error})"
        ) from error
    return matcher


class ModelHolder:
    """Per-process holder of the served model (one per app).

    It serves the active version when its artifact loads. When it does not (damaged on disk,
    deleted, made with other package versions), the worker keeps serving the version it had in
    memory; after a fresh start, with none in memory, it loads the most recent other ``ready``
    version whose artifact loads: a damaged artifact must not take the whole service down while
    an intact older one exists. A failed load is not tried again on every request (each try
    reads and hashes the whole artifact): only when the active version changes, or after
    ``MODEL_RETRY_SECONDS``.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.served: Served | None = None
        self._checked_at = 0.0
        self._active_id: int | None = None
        self._loading = threading.Lock()
        #: Versions whose artifact failed to load: version id -> (monotonic time, reason).
        self._failed: dict[int, tuple[float, str]] = {}
        #: The active version last seen; when another is seen, it is given a fresh try.
        self._wanted: int | None = None
        self.last_error: str | None = None

    def active_version_id(self, session: Session) -> int | None:
        """Return the active version id, asking the database at most every check interval."""
        interval = float(self.app.config["MODEL_CHECK_SECONDS"])
        now = time.monotonic()
        if interval <= 0 or now - self._checked_at >= interval or self._active_id is None:
            self._active_id = session.scalar(
                select(ModelVersion.version_id).where(ModelVersion.active.is_(True))
            )
            self._checked_at = now
        return self._active_id

    def failure(self, version_id: int | None) -> str | None:
        """Why `version_id` could not be loaded by this worker (its last failed try), or None."""
        failed = self._failed.get(version_id) if version_id is not None else None
        return failed[1] if failed else None

    def _failed_recently(self, version_id: int) -> bool:
        failed = self._failed.get(version_id)
        retry = float(self.app.config.get("MODEL_RETRY_SECONDS", MODEL_RETRY_SECONDS))
        return failed is not None and time.monotonic() - failed[0] < retry

    def get(self, session: Session) -> Served | None:
        """Return the served model, loading the active version if it changed.

        While one thread loads a new version, the others keep serving the old one. When the
        active version does not load, the old one (or, with none in memory, the most recent
        other ready version that loads) goes on serving; None when no version loads.
        """
        active_id = self.active_version_id(session)
        if active_id != self._wanted:
            # Another version was activated (or one activated again): it gets a fresh try.
            self._wanted = active_id
            self._failed.pop(active_id, None)
        served = self.served
        if active_id is None:
            return served
        if served is not None and served.version_id == active_id:
            return served
        if served is not None and self._failed_recently(active_id):
            return served
        if served is not None and not self._loading.acquire(blocking=False):
            return served
        if served is None:
            self._loading.acquire()
        try:
            return self._load(session, active_id)
        finally:
            self._loading.release()

    def state(self, session: Session) -> ServingState:
        """The served model, the active version and why it is not served (see ServingState)."""
        served = self.get(session)
        active_id = self._active_id
        problem = None
        if active_id is not None and (served is None or served.version_id != active_id):
            problem = self.failure(active_id)
        return ServingState(served, active_id, problem)

    def _load(self, session: Session, active_id: int) -> Served | None:
        """Load the active version, or a fallback (see the class); under the loading lock."""
        if self.served is not None and self.served.version_id == active_id:
            return self.served
        if not self._failed_recently(active_id):
            name = session.scalar(
                select(ModelVersion.name).where(ModelVersion.version_id == active_id)
            )
            if self._try_load(session, active_id, name):
                self.last_error = None
                return self.served
        self.last_error = self.failure(active_id)
        if self.served is not None:
            logger.warning(
                "still serving model version %s: the active version %s does not load",
                self.served.version_id,
                active_id,
            )
            return self.served
        others = session.execute(
            select(ModelVersion.version_id, ModelVersion.name)
            .where(ModelVersion.status == "ready", ModelVersion.version_id != active_id)
            .order_by(ModelVersion.version_id.desc())
        ).all()
        for version_id, name in others:
            if not self._failed_recently(version_id) and self._try_load(session, version_id, name):
                logger.warning(
                    "serving model version %s instead of the active version %s, which does "
                    "not load",
                    version_id,
                    active_id,
                )
                return self.served
        if others:
            self.last_error += (
                f"; no other ready version loads either (tried {len(others)}: "
                + ", ".join(str(version_id) for version_id, _ in others)
                + ")"
            )
        return None

    def _try_load(self, session: Session, version_id: int, name: str | None) -> bool:
        """Load `version_id`, prepare it (:func:`before_serving`) and serve it; on failure
        remember why (and when) and say False."""
        try:
            matcher = load_servable(self.app.config["MODELS_DIR"], name)
        except ArtifactError as error:
            reason = f"version {version_id} ({name}) could not be loaded: {error}"
            self._failed[version_id] = (time.monotonic(), reason)
            logger.error(reason)
            return False
        self._failed.pop(version_id, None)
        served = Served(version_id, name, matcher)
        # Prepared before the switch: the old version serves the other threads meanwhile, and
        # the first requests to the new one find its caches filled.
        for listener in self.app.extensions.get(LOAD_LISTENERS, ()):
            try:
                listener(self.app, session, served)
            except Exception:
                logger.exception(
                    "%s before serving version %s failed",
                    getattr(listener, "__qualname__", listener),
                    version_id,
                )
        self.served = served
        logger.info("serving model version %s (%s)", version_id, name)
        return True


#: The key, in ``app.extensions``, of the callables that prepare a version a worker loaded.
LOAD_LISTENERS = "matcher_load_listeners"


def before_serving(app: Flask, listener: Callable[[Flask, Session, Served], Any]) -> None:
    """Call ``listener(app, session, served)`` whenever a worker has loaded a version, before
    the worker serves it: at start (:func:`prepare_worker`) and when another version was
    activated. What a listener builds for the new version (the suggestion cache's answers for
    the home members) is there when the first request reaches it. A failing listener is
    logged; the version serves all the same.

    The modules that keep something per version register here (the suggestion cache), so
    that this module does not import them.
    """
    app.extensions.setdefault(LOAD_LISTENERS, []).append(listener)


def prepare_worker(app: Flask) -> Served | None:
    """Load the active version and prepare it (:func:`before_serving`) before the worker takes
    its first request; return what it serves (None without a loadable version).

    gunicorn's workers call it once the app is loaded (:mod:`api.gunicorn_workers`): without it,
    each first request for a member ranked afresh (about 35 ms at 10,000 members) until the
    worker's cache was warm. A failure here is logged and left to the first request, which
    tries again and answers with the reason.
    """
    try:
        with app.app_context(), session_factory(app)() as session:
            return holder(app).get(session)
    except Exception:
        logger.exception("the worker could not load the active model before serving")
        return None


def holder(app: Flask | None = None) -> ModelHolder:
    """Return the app's model holder."""
    app = app or current_app
    return app.extensions["matcher_models"]


#: The key, in ``app.extensions``, of the callables told when a trained version becomes active.
ACTIVATION_LISTENERS = "matcher_activation_listeners"


def on_activation(app: Flask, listener: Callable[[Flask], Any]) -> None:
    """Call ``listener(app)`` whenever :func:`train_version` activates the version it trained
    (a retrain, an erasure's retrain, ``matcher db train``), in the training thread, after the
    activation is committed; a failing listener is logged, the version serves all the same.

    The modules that depend on the serving model register here (the insights recompute their
    figures), so that this module does not import them.
    """
    app.extensions.setdefault(ACTIVATION_LISTENERS, []).append(listener)


def live_profile_frame(session: Session) -> pd.DataFrame:
    """Return the validated profile frame of the live members, as the engine reads a file.

    Raises
    ------
    InputError
        If there are no live members (a :class:`~matcher.profiles.ProfileValidationError`,
        also an InputError, if a stored profile no longer validates).
    """
    members = session.execute(
        select(Member.member_id, Member.profile)
        .where(Member.deleted_at.is_(None))
        .order_by(Member.member_id)
    ).all()
    if not members:
        raise InputError("there are no live members; import members first")
    records = []
    for member_id, profile in members:
        record = {
            key: (
                ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
            )
            for key, value in profile.items()
            if key not in ("market_presence_derived", "potential", "potential_tier")
        }
        if profile.get("market_presence_derived"):
            record["market_presence"] = ""
        record["id"] = member_id
        records.append(record)
    return validate_profiles(pd.DataFrame(records), source="database", unit="record", first_row=1)


@dataclass(frozen=True)
class TrainingData:
    """What a retrain learns from: the live members' validated profiles, the known links
    between them and their feedback events ``(member_id, partner_id, event)`` in the order
    recorded (``PartnerMatcher.fit(frame, links, feedback=events)``; the events' rule is
    :func:`matcher.engine.learning.read_feedback`)."""

    frame: Any
    links: list[Link]
    events: list[tuple[str, str, str]]

    def learned_links(self) -> list[Link]:
        """The known links and the partnerships and declines the events add."""
        return list(dict.fromkeys(self.links + read_feedback(self.events).links))


def training_data(session: Session) -> TrainingData:
    """Return the live members' profiles, links and feedback events for training."""
    frame = live_profile_frame(session)
    live = set(frame.index)
    links = [
        Link(s, t, k, d)
        for s, t, k, d in session.execute(
            select(KnownLink.source_id, KnownLink.target_id, KnownLink.kind, KnownLink.date)
        )
        if s in live and t in live
    ]
    events = [
        (member_id, partner_id, event)
        for member_id, partner_id, event in session.execute(
            select(FeedbackEvent.member_id, FeedbackEvent.partner_id, FeedbackEvent.event)
            .where(FeedbackEvent.event.in_(FEEDBACK_EVENTS))
            .order_by(FeedbackEvent.created_at, FeedbackEvent.event_id)
        )
        if member_id in live and partner_id in live
    ]
    return TrainingData(frame, list(dict.fromkeys(links)), events)


def model_versions(session: Session) -> list[ModelVersion]:
    """Return every model version, newest first."""
    return list(
        session.scalars(select(ModelVersion).order_by(ModelVersion.version_id.desc())).all()
    )


def stored_version(session: Session, version_id: int) -> ModelVersion:
    """Return the model version `version_id`; aborts with 404 if there is none."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        abort(404, f"Model version {version_id} doesn't exist.")
    return version


def start_retrain(
    app: Flask, session: Session, requested_by: int | None, activate: bool = True
) -> ModelVersion:
    """Add a version (committed) and train it from the current data in a background thread
    (:func:`start_training`); the version that serves now goes on serving meanwhile.

    Versions left ``training`` by a process that is gone are failed first
    (:func:`fail_abandoned_versions`). Aborts with 409 while another version is being trained,
    or when fewer than two members are live: refused now rather than as a version that fails a
    minute later.
    """
    if fail_abandoned_versions(session):
        session.commit()
    running = session.scalar(
        select(ModelVersion.version_id).where(ModelVersion.status == "training")
    )
    if running is not None:
        abort(409, f"version {running} is being trained; wait until it is ready or failed")
    live = session.scalar(
        select(func.count()).select_from(Member).where(Member.deleted_at.is_(None))
    )
    if live < 2:
        abort(409, f"{live} live member(s): a model needs at least two; import members first")
    version = add_training_version(session, requested_by)
    session.commit()
    start_training(app, version.version_id, activate)
    return version


def activate_ready_version(
    session: Session, models_dir: str | Path, version_id: int
) -> ModelVersion:
    """Make the ready version `version_id` the active one (within the caller's transaction;
    every worker switches on its next request) and return it.

    Aborts with 404 if there is no such version, 409 if it is not ``ready`` or its artifact
    does not load and answer (:func:`artifact_problem`).
    """
    version = stored_version(session, version_id)
    if version.status != "ready":
        abort(
            409,
            f"Model version {version_id} is {version.status}; only a ready version "
            "can be activated",
        )
    problem = artifact_problem(models_dir, version.name)
    if problem:
        abort(409, f"Model version {version_id} was not activated: {problem}")
    activate_version(session, version.version_id)
    return version


def add_training_version(session: Session, requested_by: int | None = None) -> ModelVersion:
    """Add a model version in status ``training`` (not active) to `session`, flushed so that
    it has its id; the caller commits it and then trains it."""
    version = ModelVersion(status="training", active=False, requested_by=requested_by)
    session.add(version)
    session.flush()
    return version


def train_new_version(app: Flask, activate: bool = True) -> ModelVersion:
    """Add a version and train it now, in the foreground (:func:`train_version`); return it as
    stored at the end: ``ready`` (and active if `activate`), or ``failed`` with its reason."""
    sessions = session_factory(app)
    with sessions.begin() as session:
        version_id = add_training_version(session).version_id
    train_version(app, version_id, activate)
    with sessions() as session:
        version = session.get(ModelVersion, version_id)
        session.expunge(version)
    return version


def train_version(
    app: Flask, version_id: int, activate: bool = True, purge_others: bool = False
) -> None:
    """Train the version `version_id` (status ``training``) from the current data.

    On success the version is ``ready`` (and active if `activate`); on failure it is ``failed``
    with the reason, and the active version is untouched. With `purge_others`, the artifacts of
    every other trained version are deleted once this one is ready (see :func:`purge_versions`).
    """
    sessions = session_factory(app)
    beating = _Heartbeat(app, version_id)
    try:
        with sessions() as session:
            data = training_data(session)
        frame, links = data.frame, data.links
        matcher = PartnerMatcher(
            model=app.config["MODEL_KIND"], random_state=0, explore=app.config["EXPLORE"]
        ).fit(profiles_to_frame(frame), links, feedback=data.events)
        # The check: a fitted model must answer a query before it may serve.
        matcher.recommend(str(frame.index[0]), k=1)
        name = f"v{version_id:04d}-{utcnow().strftime('%Y%m%dT%H%M%S')}"
        folder = save_model(matcher, name, data.learned_links(), app.config["MODELS_DIR"])
        load_model(folder)  # re-read: the artifact on disk is complete and its hash holds
        manifest = (Path(folder) / "manifest.json").read_text(encoding="utf-8")
        with sessions.begin() as session:
            version = session.get(ModelVersion, version_id)
            version.name, version.status, version.finished_at = name, "ready", utcnow()
            version.manifest = json.loads(manifest)
            if activate:
                activate_version(session, version_id)
        logger.info("model version %s trained (%s)", version_id, name)
        if purge_others:
            purge_versions(app, version_id)
        if activate:
            # The figures managers read depend on the serving model: recompute them now. The
            # version is trained and serving whatever happens here: a failure is only logged.
            for listener in app.extensions.get(ACTIVATION_LISTENERS, ()):
                try:
                    listener(app)
                except Exception:
                    logger.exception(
                        "%s after the activation of version %s failed",
                        getattr(listener, "__qualname__", listener),
                        version_id,
                    )
    except Exception as error:
        logger.exception("retraining version %s failed", version_id)
        with sessions.begin() as session:
            version = session.get(ModelVersion, version_id)
            version.status, version.finished_at = "failed", utcnow()
            version.error = f"{type(error).__name__}: {error}"
    finally:
        beating.stop()


#: How often a training process says it is still at work, and after how long without a word
#: its version is taken for abandoned.
HEARTBEAT_SECONDS = 10.0
ABANDONED_AFTER = dt.timedelta(seconds=120)


def trainer_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _Heartbeat:
    """Mark `version_id` as trained by this process, and renew the mark every
    :data:`HEARTBEAT_SECONDS` from a thread until :meth:`stop`."""

    def __init__(self, app: Flask, version_id: int):
        self.sessions, self.version_id = session_factory(app), version_id
        self.stopped = threading.Event()
        self.beat(trainer_id())
        self.thread = threading.Thread(target=self.run, name=f"heartbeat-{version_id}", daemon=True)
        self.thread.start()

    def beat(self, trainer: str | None = None) -> None:
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if trainer:
            values["trainer"] = trainer
        with self.sessions.begin() as session:
            session.execute(
                update(ModelVersion)
                .where(ModelVersion.version_id == self.version_id)
                .where(ModelVersion.status == "training")
                .values(**values)
            )

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:
                logger.warning(
                    "model version %s: heartbeat not stored", self.version_id, exc_info=True
                )

    def stop(self) -> None:
        self.stopped.set()


def process_gone(trainer: str | None) -> bool:
    """Whether `trainer` (``host:pid``) names a process of this host that no longer runs."""
    host, _, pid = (trainer or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    """Whether `pid` has ended but was not reaped yet (Linux; False elsewhere).

    A worker killed with its gunicorn master is reparented to PID 1, and the PID 1 of some
    containers never reaps it: the zombie answers ``kill(pid, 0)`` like a live process, and its
    version would have waited :data:`ABANDONED_AFTER` before it was failed.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] == "Z"


def fail_abandoned_versions(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Mark ``failed`` every version left ``training`` by a process that is gone: one of this
    host that no longer runs, or any that has not renewed its heartbeat for
    :data:`ABANDONED_AFTER` (within the caller's transaction). Returns their ids.

    Without this, a trainer killed mid-way (a crash, the out-of-memory killer, a restart) left
    its version ``training`` for good, and every later retrain was refused with 409.
    """
    now = now or utcnow()
    abandoned = []
    for version in session.scalars(
        select(ModelVersion).where(ModelVersion.status == "training")
    ).all():
        last_word = version.heartbeat_at or version.created_at
        if last_word is not None and last_word.tzinfo is None:
            last_word = last_word.replace(tzinfo=dt.UTC)
        if process_gone(version.trainer):
            reason = f"the training process {version.trainer} ended before it finished"
        elif last_word is None or now - last_word > ABANDONED_AFTER:
            reason = (
                f"no word from the training process {version.trainer or '(not started)'} since "
                f"{last_word.isoformat() if last_word else 'its creation'}"
            )
        else:
            continue
        version.status, version.finished_at = "failed", now
        version.error = f"abandoned: {reason}"
        abandoned.append(version.version_id)
        logger.warning("model version %s marked failed: %s", version.version_id, reason)
    return abandoned


def artifact_problem(models_dir: str | Path, name: str | None) -> str | None:
    """What is wrong with the stored artifact `name` (missing, damaged, made with other
    versions, or unable to answer a query), or None when it loads and answers."""
    try:
        load_servable(models_dir, name)
    except ArtifactError as error:
        return str(error)
    return None


def activate_version(session: Session, version_id: int) -> None:
    """Make `version_id` the only active version (within the caller's transaction).

    Its ``activated_at`` becomes now when it was not active already (a version activated again
    after another one starts a new serving period; activating the active one changes nothing):
    the models page counts what it showed from then (:mod:`api.services.model_figures`).
    """
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.active.is_(True), ModelVersion.version_id != version_id)
        .values(active=False)
    )
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.version_id == version_id, ModelVersion.active.is_not(True))
        .values(active=True, activated_at=utcnow())
    )


def purge_versions(app: Flask, keep_version_id: int) -> list[int]:
    """Delete the artifacts of every trained version but `keep_version_id`; mark them ``purged``.

    Trained artifacts hold the profiles they were fitted on: after a member is erased, the
    versions made before must go too. A purged version can no longer be activated.
    """
    sessions = session_factory(app)
    purged = []
    with sessions.begin() as session:
        versions = session.scalars(
            select(ModelVersion).where(
                ModelVersion.version_id != keep_version_id, ModelVersion.status == "ready"
            )
        ).all()
        for version in versions:
            if version.name:
                shutil.rmtree(Path(app.config["MODELS_DIR"]) / version.name, ignore_errors=True)
            version.status, version.active = "purged", False
            purged.append(version.version_id)
    if purged:
        logger.info("purged the artifacts of model versions %s", purged)
    return purged


def retrain_after_erasure(app: Flask, requested_by: int | None) -> int | None:
    """Start a retrain that replaces every trained version after a member was erased.

    Returns the new version's id, or None when no version was ever trained (nothing to purge).
    Until the new version is ready the old one serves, and the erased member is already
    filtered out of its answers.
    """
    sessions = session_factory(app)
    with sessions.begin() as session:
        trained = session.scalar(
            select(ModelVersion.version_id).where(ModelVersion.status == "ready").limit(1)
        )
        if trained is None:
            return None
        version_id = add_training_version(session, requested_by).version_id
    start_training(app, version_id, activate=True, purge_others=True)
    return version_id


def start_training(
    app: Flask, version_id: int, activate: bool = True, purge_others: bool = False
) -> threading.Thread:
    """Run :func:`train_version` in a background thread and return the thread."""
    thread = threading.Thread(
        target=train_version,
        args=(app, version_id, activate, purge_others),
        name=f"retrain-{version_id}",
        daemon=True,
    )
    app.extensions.setdefault("matcher_threads", []).append(thread)
    thread.start()
    return thread


def init_app(app: Flask) -> None:
    """Attach the model holder to the app."""
    app.extensions["matcher_models"] = ModelHolder(app)
