"""The ``matcher`` command: train, recommend, evaluate, validate, sample.

Exit codes: 0 success, 2 bad input (the message on stderr), 1 any other failure (one line on
stderr; the traceback with ``-v``). See :func:`_run`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import __version__

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
#: ``train`` cross-validates (unless --no-evaluate) from this many positive links.
CROSS_VALIDATE_FROM = 10
#: An unknown --member gets the closest id as a hint up to this many profiles (difflib compares
#: it with every id: fine for a cluster, seconds for a million profiles).
CLOSEST_ID_UP_TO = 50_000


class BadInput(click.ClickException):
    """Bad input: printed on stderr, exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


#: Key of the ``-v`` count in the click context's ``meta`` (shared by every subcommand).
_VERBOSE_KEY = "matcher.verbose"
_TRACEBACK_HINT = "a failure of the program, not of your input; run with -v for the traceback"


def _run(action: Callable[[], Any]) -> Any:
    """Run `action`, turning input problems into exit code 2 and failures of the program into 1.

    Exit 2, with the message alone, is for what the user can fix: a
    :class:`~matcher.errors.InputError` (every check of a file, a row, an option raises one),
    a click error, and a path the user gave that is missing, a folder, or not readable or
    writable. Anything else, a ``ValueError`` or ``KeyError`` from numpy or scikit-learn
    included, is a failure of the program: exit 1 with one line naming the exception, and its
    traceback under ``-v``. Telling the user their file is wrong when the program is would send
    them looking for a mistake that is not there.
    """
    from ..errors import InputError

    try:
        return action()
    except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
        raise
    except InputError as error:
        raise BadInput(str(error)) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        if not _on_user_path(error):
            _fail(error)
        raise BadInput(_os_message(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        _fail(error)


def _fail(error: BaseException) -> None:
    """Report a failure of the program: one line, the traceback before it under ``-v``; exit 1."""
    context = click.get_current_context(silent=True)
    verbose = context.meta.get(_VERBOSE_KEY, 0) if context is not None else 0
    if verbose:
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
    # One line: a multi-line message would read as several problems.
    message = " ".join(str(error).split())
    click.echo(
        f"error: {type(error).__name__}: {message}" + ("" if verbose else f" ({_TRACEBACK_HINT})"),
        err=True,
    )
    sys.exit(EXIT_FAILURE)


def _given_paths() -> list[Path]:
    """The absolute paths given to the running command and its groups (``click.Path`` options
    and arguments, their defaults included)."""
    paths = []
    context = click.get_current_context(silent=True)
    while context is not None:
        for param in context.command.params:
            if not isinstance(param.type, click.Path):
                continue
            value = context.params.get(param.name)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, (str, os.PathLike)) and os.fspath(item):
                    paths.append(Path(os.path.abspath(item)))
        context = context.parent
    return paths


def _on_user_path(error: OSError) -> bool:
    """Whether an OS error concerns a path the user gave (or a file inside one, such as a
    model under --models-dir) rather than one of the program's own files."""
    names = [name for name in (error.filename, error.filename2) if name is not None]
    if not names:
        # The library's own checks of a path it was given (read_table, load_session) raise
        # with a message naming the path and no filename; the operating system always sets it.
        return True
    given = _given_paths()
    for name in names:
        path = Path(os.path.abspath(os.fsdecode(name)))
        if any(path == root or root in path.parents for root in given):
            return True
    return False


def _os_message(error: OSError) -> str:
    if error.filename is not None and error.strerror:
        return f"{os.fsdecode(error.filename)}: {error.strerror}"
    return str(error)


def _load_inputs(profiles: str | None, links: str | None, sample: bool, duplicates: str):
    from ..profiles import read_links, read_profile_frame

    if sample:
        from ..datasets.generator import SAMPLE_DIR

        if profiles or links:
            raise BadInput("give either --sample or --profiles/--links, not both")
        profiles, links = str(SAMPLE_DIR / "profiles.csv"), str(SAMPLE_DIR / "links.csv")
    if not profiles:
        raise BadInput("--profiles is required (or --sample for the fictional sample cluster)")
    frame = read_profile_frame(profiles, duplicates=duplicates)
    known_links = read_links(links, frame["member_id"]) if links else []
    return frame, known_links


_profiles_option = click.option(
    "--profiles", type=click.Path(dir_okay=False), help="Profile file (.csv, .xlsx or .json)."
)
_links_option = click.option(
    "--links", type=click.Path(dir_okay=False), help="Known links file (.csv, .xlsx or .json)."
)
_sample_option = click.option(
    "--sample", is_flag=True, help="Use the shipped fictional sample cluster."
)
#: The scope of the partners, and the language of the reasons (the engine's SCOPES and
#: LANGUAGES, written here so that the command line starts without loading the engine).
_scope_option = click.option(
    "--scope",
    type=click.Choice(["all", "cluster", "international"]),
    default="all",
    show_default=True,
)
_reasons_language_option = click.option(
    "--language",
    type=click.Choice(["en", "uk"]),
    default="en",
    show_default=True,
    help="Language of the reasons.",
)
_models_dir_option = click.option(
    "--models-dir",
    default="models",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder of trained models.",
)


def _format_option(*choices: str):
    """``--format`` (into ``output_format``): one of `choices`, the first by default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
    )


def _duplicates_option(default: str):
    return click.option(
        "--duplicates",
        type=click.Choice(["error", "merge"]),
        default=default,
        show_default=True,
        help="Rows that share an id: an error, or one organisation listed twice "
        "(merged, with a warning naming the rows).",
    )


# The library's larger command groups live in their own modules and are imported only when
# asked for, so `matcher recommend` does not pay for the solver or the report's imports.
LAZY_COMMANDS = {
    "batch": "matcher.cli.batch:batch",
    "session": "matcher.cli.sessions:session",
    "insights": "matcher.cli.insights:insights",
    "simulate": "matcher.cli.simulate:simulate",
}


class _PluginGroup(click.Group):
    """A group that also offers the library's lazily imported commands (:data:`LAZY_COMMANDS`)
    and the commands other packages register under the entry-point group ``matcher.commands``
    (the service adds ``serve``, ``db`` and ``users``), loaded only when asked for, so the
    engine's commands start without them."""

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="matcher.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            import importlib

            module, attribute = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


def filter_options(command: Callable) -> Callable:
    """The partner filters shared by ``recommend`` and ``batch`` (see :func:`_filters`)."""
    options = [
        click.option(
            "--country", multiple=True, help="Only partners in this country (repeatable)."
        ),
        click.option(
            "--org-type", multiple=True, help="Only partners of this org_type (repeatable)."
        ),
        click.option(
            "--partnership-type",
            multiple=True,
            help="Only partners open to this kind of partnership.",
        ),
        click.option(
            "--certification", multiple=True, help="Only partners with this certification."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="matcher")
@click.option(
    "-v", "--verbose", count=True, help="More log output and a failure's traceback (-vv for debug)."
)
@click.pass_context
def main(context: click.Context, verbose: int) -> None:
    """Partner matching for a light-industry and fashion cluster."""
    context.meta[_VERBOSE_KEY] = verbose
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


@main.command()
@_profiles_option
@_links_option
@_sample_option
@click.option(
    "--name",
    default=None,
    help="Model name (folder under --models-dir). "
    "Defaults to 'sample' with --sample, else 'default'.",
)
@_models_dir_option
@click.option(
    "--evaluate/--no-evaluate",
    "run_evaluation",
    default=True,
    show_default=True,
    help="Cross-validate on the links and store the figures in the manifest.",
)
@click.option(
    "--eval-folds",
    default=3,
    show_default=True,
    type=click.IntRange(min=2),
    help="Folds of the cross-validation stored in the manifest.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--explore",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Share of each shortlist given to partners few have seen (the service's retrain "
    "uses 0.1).",
)
@_duplicates_option("error")
def train(
    profiles, links, sample, name, models_dir, run_evaluation, eval_folds, seed, explore, duplicates
):
    """Train a model and write models/NAME/model.joblib, serving/ and manifest.json."""
    from ..engine.artifacts import save_model
    from ..engine.evaluation import evaluate
    from ..engine.ranking import PartnerMatcher

    def action():
        model_name = name or ("sample" if sample else "default")
        # save_model refuses such a name only after the fit and the cross-validation.
        if "/" in model_name or os.sep in model_name or model_name.startswith("."):
            raise BadInput(
                f"--name {model_name!r}: a model name is a folder name, without '/' "
                "and not starting with '.', e.g. 'kharkiv-2026'"
            )
        frame, known_links = _load_inputs(profiles, links, sample, duplicates)
        started = time.perf_counter()
        figures = None
        n_positive = sum(link.positive for link in known_links)
        if run_evaluation and n_positive >= CROSS_VALIDATE_FROM:
            # The cross-validation fits the model once per fold: most of train's time.
            click.echo(
                f"cross-validating on {n_positive} positive links ({eval_folds} folds; "
                "--no-evaluate skips this)...",
                err=True,
            )
            figures = evaluate(
                frame,
                known_links,
                k=10,
                folds=eval_folds,
                seed=seed,
                progress=_fold_progress(started),
            )
        click.echo(
            f"fitting the model on {len(frame)} profiles and {len(known_links)} links...", err=True
        )
        matcher = PartnerMatcher(random_state=seed, explore=explore).fit(frame, known_links)
        folder = save_model(matcher, model_name, known_links, models_dir, evaluation=figures)
        click.echo(f"done in {time.perf_counter() - started:.0f} s", err=True)
        click.echo(
            f"trained on {len(frame)} profiles and {len(known_links)} links "
            + ("of the fictional sample cluster " if sample else "")
            + f"({matcher.model_kind_} model); written to {folder}"
        )
        if figures:
            click.echo(_evaluation_table(figures))

    _run(action)


@main.command()
@click.option("--model", "model_name", default=None, help="Name (or folder) of a trained model.")
@_profiles_option
@_links_option
@_sample_option
@_models_dir_option
@click.option("--member", required=True, help="The member's id.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1))
@_scope_option
@filter_options
@_reasons_language_option
@_format_option("table", "json", "csv")
@_duplicates_option("error")
def recommend(
    model_name,
    profiles,
    links,
    sample,
    models_dir,
    member,
    k,
    scope,
    country,
    org_type,
    partnership_type,
    certification,
    language,
    output_format,
    duplicates,
):
    """Suggest partners for a member, with reasons."""
    from ..engine.artifacts import load_model, load_serving

    def action():
        if model_name and (profiles or links or sample):
            raise BadInput("give either --model or --profiles/--links/--sample, not both")
        if model_name:
            # A saved model's serving artifact answers with numpy alone (the same suggestions,
            # without importing scikit-learn, pandas or numba); models saved without one load
            # whole.
            matcher = load_serving(model_name, models_dir)
            if matcher is None:
                matcher, _ = load_model(model_name, models_dir)
        else:
            from ..engine.ranking import PartnerMatcher

            frame, known_links = _load_inputs(profiles, links, sample, duplicates)
            matcher = PartnerMatcher().fit(frame, known_links)
        _check_member(matcher, member)
        filters = _filters(country, org_type, partnership_type, certification)
        suggestions = matcher.recommend(
            member, k=k, scope=scope, filters=filters, language=language
        )
        payload = {"member": member, "suggestions": [s.to_dict() for s in suggestions]}
        click.echo(_format_suggestions(payload, output_format))

    _run(action)


def _fold_progress(started: float) -> Callable[[str], None]:
    """A progress callback of :func:`~matcher.engine.evaluation.evaluate`: each fold's line on stderr,
    with the seconds since `started`."""

    def report(message: str) -> None:
        click.echo(f"  {message} ({time.perf_counter() - started:.0f} s)", err=True)

    return report


def _check_member(matcher: Any, member: str) -> None:
    """Refuse a --member the fitted profiles do not hold, with the closest id when cheap to find."""
    if member in matcher.position_:
        return
    ids = matcher.position_
    hint = ""
    if len(ids) <= CLOSEST_ID_UP_TO:
        import difflib

        match = difflib.get_close_matches(member, list(ids), n=1, cutoff=0.7)
        hint = f"; did you mean {match[0]!r}?" if match else ""
    raise BadInput(f"--member {member!r} is not among the {len(ids)} profiles{hint}")


def _filters(country, org_type, partnership_type, certification) -> dict[str, list[str]]:
    """The partner filters of the command line, resolved as everywhere else (:mod:`matcher.filters`)."""
    from ..filters import FilterError, resolve_filters

    try:
        return resolve_filters(
            {
                "country": country,
                "org_type": org_type,
                "partnership_type": partnership_type,
                "certification": certification,
            }
        )
    except FilterError as error:
        raise BadInput(
            "\n".join(f"--{p.field.replace('_', '-')}: {p.message}" for p in error.problems)
        ) from None


def _format_suggestions(payload: dict, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(payload, ensure_ascii=False, indent=2)
    rows = payload["suggestions"]
    if output_format == "csv":
        from ..spreadsheets import csv_text

        header = [
            "member_id",
            "rank",
            "partner_id",
            "name",
            "network",
            "country",
            "score",
            "reasons",
        ]
        return csv_text(
            header,
            (
                [
                    payload["member"],
                    rank,
                    s["partner_id"],
                    s["name"],
                    s["network"],
                    s["country"],
                    f"{s['score']:.4f}",
                    " | ".join(s["reasons"]),
                ]
                for rank, s in enumerate(rows, 1)
            ),
        ).rstrip("\r\n")
    if not rows:
        return f"No suggestions for {payload['member']} with these filters."
    lines = [f"Partners for {payload['member']}:"]
    for rank, s in enumerate(rows, 1):
        lines.append(
            f"{rank:>2}. {s['score']:.2f}  {s['name']} ({s['partner_id']}, {s['network']}, {s['country']})"
        )
        lines.extend(f"       - {reason}" for reason in s["reasons"])
    return "\n".join(lines)


@main.command("evaluate")
@_profiles_option
@_links_option
@_sample_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--methods",
    default="matcher,linear,random,popularity,similarity,rule",
    show_default=True,
    help="Comma-separated methods to compare.",
)
@click.option(
    "--retrieval",
    is_flag=True,
    help="Also measure the candidate stage against re-ranking every profile.",
)
@_format_option("table", "json")
@_duplicates_option("merge")
def evaluate_command(
    profiles, links, sample, k, folds, seed, methods, retrieval, output_format, duplicates
):
    """Cross-validate the matcher and the baselines on held-out known links."""
    from ..engine.evaluation import evaluate, retrieval_recall
    from ..engine.ranking import PartnerMatcher

    def action():
        frame, known_links = _load_inputs(profiles, links, sample, duplicates)
        if not known_links:
            raise BadInput("--links is required: evaluation holds out known links")
        names = [m.strip() for m in methods.split(",") if m.strip()]
        progress = _fold_progress(time.perf_counter()) if output_format == "table" else None
        result = evaluate(
            frame, known_links, k=k, folds=folds, seed=seed, methods=names, progress=progress
        )
        if retrieval:
            matcher = PartnerMatcher(random_state=seed).fit(frame, known_links)
            sources = sorted({l.source for l in known_links if l.positive})
            result["retrieval"] = retrieval_recall(matcher, sources, k=k, seed=seed)
        click.echo(
            json.dumps(result, indent=2) if output_format == "json" else _evaluation_table(result)
        )

    _run(action)


def _evaluation_table(result: dict) -> str:
    k = result["k"]
    metrics = [f"recall@{k}", f"ndcg@{k}", "mrr", "coverage"]
    lines = [
        (
            f"{result['queries']} queries over {result['folds']} folds, {result['profiles']} profiles, "
            f"{result['links']} positive links ({result['seconds']} s)"
        ),
        f"{'method':<12}" + "".join(f"{m:>11}" for m in metrics),
    ]
    for name, values in result["methods"].items():
        lines.append(f"{name:<12}" + "".join(f"{values[m]:>11.3f}" for m in metrics))
    if result.get("matcher_models"):
        lines.append(
            "matcher's model by fold: "
            + ", ".join(
                m["model"]
                + (
                    f" ({len(m['dropped_features'])} features left out)"
                    if m["dropped_features"]
                    else ""
                )
                for m in result["matcher_models"]
            )
        )
    lines.extend(f"warning: {warning}" for warning in result.get("warnings", ()))
    if "retrieval" in result:
        r = result["retrieval"]
        lines.append(
            f"candidate stage: keeps {r['recall@k']:.3f} of the exhaustive top {r['k']} "
            f"with {r['n_candidates']} rows per vector search and {r['first_stage_rows']} from the "
            f"first stage ({r['mean_candidates']} candidates of {r['profiles']})"
        )
    return "\n".join(lines)


@main.command()
@_profiles_option
@_links_option
@_duplicates_option("error")
def validate(profiles, links, duplicates):
    """Check a profile file (and a link file) and list every problem (exit code 2 if any)."""
    from ..profiles import check_files

    def action():
        if not profiles:
            raise BadInput("--profiles is required")
        # Both files are checked whole, whatever the first one holds, and every problem is
        # listed: the other commands stop at the first file with problems.
        frame, known_links, errors = check_files(profiles, links, duplicates=duplicates)
        if errors:
            raise BadInput("\n".join(_file_problems(error) for error in errors))
        known_links = known_links or []
        counts = frame["market_presence"].value_counts().to_dict()
        click.echo(
            f"{len(frame)} profiles in {frame['network'].nunique()} networks, "
            f"{len(known_links)} links: no problems"
        )
        click.echo("market presence: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    _run(action)


def _file_problems(error) -> str:
    """A file's problems, one a line under the file's name (as ProfileValidationError lists
    them, without its "nothing was loaded": validate loads nothing anyway)."""
    count = len(error.problems)
    lines = [f"{error.source}: {count} problem{'s' if count != 1 else ''}"]
    lines.extend(f"  {problem}" for problem in error.problems)
    return "\n".join(lines)


@main.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write to.")
@click.option(
    "--world",
    type=click.Choice(["sample", "value-chain"]),
    default="sample",
    show_default=True,
    help="sample: the shipped sample cluster; value-chain: the second, independent world of "
    "matcher.datasets.value_chain (2,400 organisations), held out from the engine's development.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seed of the value-chain world.",
)
def sample(out, world, seed):
    """Write fictional cluster data (profiles.csv, links.csv, networks.csv) to a folder."""

    def action():
        if world == "value-chain":
            from ..datasets.value_chain import write_value_chain_world

            profiles_path, links_path = write_value_chain_world(Path(out), seed=seed)
            click.echo(
                f"wrote {profiles_path} and {links_path} (fictional value-chain world, seed {seed})"
            )
            return
        from ..datasets.generator import write_sample

        profiles_path, links_path, networks_path = write_sample(Path(out))
        click.echo(
            f"wrote {profiles_path}, {links_path} and {networks_path} (fictional sample data)"
        )

    _run(action)


@main.command("models")
@_models_dir_option
def list_models_command(models_dir):
    """List trained models with their evaluation figures."""
    from ..engine.artifacts import list_models

    def action():
        manifests = list_models(models_dir)
        if not manifests:
            click.echo(f"no models in {models_dir}")
        for manifest in manifests:
            figures = (manifest.get("evaluation") or {}).get("methods", {}).get("matcher", {})
            recall = figures.get("recall@10")
            click.echo(
                f"{manifest['name']}: {manifest['created']}, {manifest['profiles']} profiles, "
                f"{manifest['model']} model"
                + (f", recall@10 {recall:.3f}" if recall is not None else "")
            )

    _run(action)


if __name__ == "__main__":  # pragma: no cover
    main()
