"""The ``matcher`` command: train, recommend, evaluate, validate, sample.

Exit codes: 0 success, 2 bad input (the message on stderr), 1 any other failure.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class BadInput(click.ClickException):
    """Bad input: printed on stderr, exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _run(action: Callable[[], Any]) -> Any:
    """Run `action`, turning input problems into exit code 2 and the rest into 1."""
    from .artifacts import ArtifactError
    from .profiles import ProfileValidationError

    try:
        return action()
    except (ProfileValidationError, ArtifactError, FileNotFoundError) as error:
        raise BadInput(str(error)) from None
    except KeyError as error:
        raise BadInput(str(error.args[0]) if error.args else str(error)) from None
    except ValueError as error:
        raise BadInput(str(error)) from None
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        logger.debug("failure", exc_info=True)
        click.echo(f"error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_FAILURE)


def _load_inputs(profiles: str | None, links: str | None, sample: bool, duplicates: str):
    from .profiles import read_links, read_profile_frame

    if sample:
        from .datasets import SAMPLE_DIR

        if profiles or links:
            raise BadInput("give either --sample or --profiles/--links, not both")
        profiles, links = str(SAMPLE_DIR / "profiles.csv"), str(SAMPLE_DIR / "links.csv")
    if not profiles:
        raise BadInput("--profiles is required (or --sample for the fictional sample cluster)")
    frame = read_profile_frame(profiles, duplicates=duplicates)
    known_links = read_links(links, frame["member_id"]) if links else []
    return frame, known_links


_profiles_option = click.option("--profiles", type=click.Path(dir_okay=False),
                                help="Profile file (.csv, .xlsx or .json).")
_links_option = click.option("--links", type=click.Path(dir_okay=False),
                             help="Known links file (.csv, .xlsx or .json).")
_sample_option = click.option("--sample", is_flag=True,
                              help="Use the shipped fictional sample cluster.")
_models_dir_option = click.option("--models-dir", default="models", show_default=True,
                                  type=click.Path(file_okay=False), help="Folder of trained models.")


def _duplicates_option(default: str):
    return click.option("--duplicates", type=click.Choice(["error", "merge"]), default=default,
                        show_default=True,
                        help="Rows that share an id: an error, or one organisation listed twice "
                             "(merged, with a warning naming the rows).")


# The library's larger command groups live in their own modules and are imported only when
# asked for, so `matcher recommend` does not pay for the solver or the report's imports.
LAZY_COMMANDS = {
    "batch": "matcher.batch_cli:batch",
    "session": "matcher.session_cli:session",
    "insights": "matcher.insights_cli:insights",
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
        click.option("--country", multiple=True, help="Only partners in this country (repeatable)."),
        click.option("--org-type", multiple=True, help="Only partners of this org_type (repeatable)."),
        click.option("--partnership-type", multiple=True, help="Only partners open to this kind of partnership."),
        click.option("--certification", multiple=True, help="Only partners with this certification."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="matcher")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Partner matching for a light-industry and fashion cluster."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@_profiles_option
@_links_option
@_sample_option
@click.option("--name", default=None, help="Model name (folder under --models-dir). "
              "Defaults to 'sample' with --sample, else 'default'.")
@_models_dir_option
@click.option("--evaluate/--no-evaluate", "run_evaluation", default=True, show_default=True,
              help="Cross-validate on the links and store the figures in the manifest.")
@click.option("--eval-folds", default=3, show_default=True, type=click.IntRange(min=2),
              help="Folds of the cross-validation stored in the manifest.")
@click.option("--seed", default=0, show_default=True, type=int)
@_duplicates_option("error")
def train(profiles, links, sample, name, models_dir, run_evaluation, eval_folds, seed, duplicates):
    """Train a model and write models/NAME/model.joblib and manifest.json."""
    from .artifacts import save_model
    from .evaluation import evaluate
    from .ranking import PartnerMatcher

    def action():
        frame, known_links = _load_inputs(profiles, links, sample, duplicates)
        figures = None
        if run_evaluation and sum(l.positive for l in known_links) >= 10:
            click.echo(f"evaluating ({eval_folds} folds)...", err=True)
            figures = evaluate(frame, known_links, k=10, folds=eval_folds, seed=seed)
        matcher = PartnerMatcher(random_state=seed).fit(frame, known_links)
        folder = save_model(matcher, name or ("sample" if sample else "default"), known_links,
                            models_dir, evaluation=figures)
        click.echo(f"trained on {len(frame)} profiles and {len(known_links)} links "
                   + ("of the fictional sample cluster " if sample else "")
                   + f"({matcher.model_kind_} model); written to {folder}")
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
@click.option("--scope", type=click.Choice(["all", "cluster", "international"]), default="all",
              show_default=True)
@filter_options
@click.option("--language", type=click.Choice(["en", "uk"]), default="en", show_default=True,
              help="Language of the reasons.")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]),
              default="table", show_default=True)
@_duplicates_option("error")
def recommend(model_name, profiles, links, sample, models_dir, member, k, scope, country, org_type,
              partnership_type, certification, language, output_format, duplicates):
    """Suggest partners for a member, with reasons."""
    from .artifacts import load_model
    from .ranking import PartnerMatcher

    def action():
        if model_name and (profiles or links or sample):
            raise BadInput("give either --model or --profiles/--links/--sample, not both")
        if model_name:
            matcher, _ = load_model(model_name, models_dir)
        else:
            frame, known_links = _load_inputs(profiles, links, sample, duplicates)
            matcher = PartnerMatcher().fit(frame, known_links)
        filters = _filters(country, org_type, partnership_type, certification)
        suggestions = matcher.recommend(member, k=k, scope=scope, filters=filters, language=language)
        payload = {"member": member, "suggestions": [s.to_dict() for s in suggestions]}
        click.echo(_format_suggestions(payload, output_format))

    _run(action)


def _filters(country, org_type, partnership_type, certification) -> dict[str, list[str]]:
    from .taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    filters: dict[str, list[str]] = {}
    if country:
        filters["country"] = [c.upper() for c in country]
    for key, vocabulary, values in (("org_type", "org_types", org_type),
                                    ("partnership_type", "partnership_types", partnership_type),
                                    ("certification", "certifications", certification)):
        resolved = []
        for value in values:
            tag = taxonomy.resolve(vocabulary, value)
            if tag is None:
                raise BadInput(f"--{key.replace('_', '-')}: " + taxonomy.explain_unknown(vocabulary, value))
            resolved.append(tag)
        if resolved:
            filters[key] = resolved
    return filters


def _format_suggestions(payload: dict, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(payload, ensure_ascii=False, indent=2)
    rows = payload["suggestions"]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["member_id", "rank", "partner_id", "name", "network", "country", "score", "reasons"])
        for rank, s in enumerate(rows, 1):
            writer.writerow([payload["member"], rank, s["partner_id"], s["name"], s["network"],
                             s["country"], f"{s['score']:.4f}", " | ".join(s["reasons"])])
        return buffer.getvalue().rstrip("\n")
    if not rows:
        return f"No suggestions for {payload['member']} with these filters."
    lines = [f"Partners for {payload['member']}:"]
    for rank, s in enumerate(rows, 1):
        lines.append(f"{rank:>2}. {s['score']:.2f}  {s['name']} ({s['partner_id']}, {s['network']}, {s['country']})")
        lines.extend(f"       - {reason}" for reason in s["reasons"])
    return "\n".join(lines)


@main.command("evaluate")
@_profiles_option
@_links_option
@_sample_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--methods", default="matcher,random,popularity,similarity,rule", show_default=True,
              help="Comma-separated methods to compare.")
@click.option("--retrieval", is_flag=True,
              help="Also measure the candidate stage against re-ranking every profile.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@_duplicates_option("merge")
def evaluate_command(profiles, links, sample, k, folds, seed, methods, retrieval, output_format, duplicates):
    """Cross-validate the matcher and the baselines on held-out known links."""
    from .evaluation import evaluate, retrieval_recall
    from .ranking import PartnerMatcher

    def action():
        frame, known_links = _load_inputs(profiles, links, sample, duplicates)
        if not known_links:
            raise BadInput("--links is required: evaluation holds out known links")
        names = [m.strip() for m in methods.split(",") if m.strip()]
        progress = (lambda message: click.echo(message, err=True)) if output_format == "table" else None
        result = evaluate(frame, known_links, k=k, folds=folds, seed=seed, methods=names, progress=progress)
        if retrieval:
            matcher = PartnerMatcher(random_state=seed).fit(frame, known_links)
            sources = sorted({l.source for l in known_links if l.positive})
            result["retrieval"] = retrieval_recall(matcher, sources, k=k, seed=seed)
        click.echo(json.dumps(result, indent=2) if output_format == "json" else _evaluation_table(result))

    _run(action)


def _evaluation_table(result: dict) -> str:
    k = result["k"]
    metrics = [f"recall@{k}", f"ndcg@{k}", "mrr", "coverage"]
    lines = [f"{result['queries']} queries over {result['folds']} folds, {result['profiles']} profiles, "
             f"{result['links']} positive links ({result['seconds']} s)",
             f"{'method':<12}" + "".join(f"{m:>11}" for m in metrics)]
    for name, values in result["methods"].items():
        lines.append(f"{name:<12}" + "".join(f"{values[m]:>11.3f}" for m in metrics))
    if "retrieval" in result:
        r = result["retrieval"]
        lines.append(f"candidate stage: keeps {r['recall@k']:.3f} of the exhaustive top {r['k']} "
                     f"with {r['n_candidates']} rows per vector search and {r['first_stage_rows']} from the "
                     f"first stage ({r['mean_candidates']} candidates of {r['profiles']})")
    return "\n".join(lines)


@main.command()
@_profiles_option
@_links_option
@_duplicates_option("error")
def validate(profiles, links, duplicates):
    """Check a profile file (and a link file) and list every problem."""
    def action():
        frame, known_links = _load_inputs(profiles, links, False, duplicates)
        counts = frame["market_presence"].value_counts().to_dict()
        click.echo(f"{len(frame)} profiles in {frame['network'].nunique()} networks, "
                   f"{len(known_links)} links: no problems")
        click.echo("market presence: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    _run(action)


@main.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write to.")
def sample(out):
    """Write the fictional sample cluster (profiles.csv, links.csv) to a folder."""
    from .datasets import write_sample

    def action():
        profiles_path, links_path = write_sample(Path(out))
        click.echo(f"wrote {profiles_path} and {links_path} (fictional sample data)")

    _run(action)


@main.command("models")
@_models_dir_option
def list_models_command(models_dir):
    """List trained models with their evaluation figures."""
    from .artifacts import list_models

    def action():
        manifests = list_models(models_dir)
        if not manifests:
            click.echo(f"no models in {models_dir}")
        for manifest in manifests:
            figures = (manifest.get("evaluation") or {}).get("methods", {}).get("matcher", {})
            recall = figures.get("recall@10")
            click.echo(f"{manifest['name']}: {manifest['created']}, {manifest['profiles']} profiles, "
                       f"{manifest['model']} model" + (f", recall@10 {recall:.3f}" if recall is not None else ""))

    _run(action)


if __name__ == "__main__":  # pragma: no cover
    main()
