"""The `kpiscan` command line. Each command only wires the library's functions together.

User errors (a bad path, an --out that cannot be written, a malformed file given to eval) end in
one line on stderr and a non-zero exit, never a traceback (`user_errors`).
"""
from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, List, Optional, TypeVar

import typer

from . import __version__
from .errors import InputError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Analyse 绩效目标表 indicators in budget disclosures.",
)
F = TypeVar("F", bound=Callable[..., Any])


class Verbosity:
    level = 1  # 0: -q (errors only), 1: default, 2: --verbose


def say(message: str, level: int = 1) -> None:
    """A status line on stderr, shown at this verbosity or more."""
    if Verbosity.level >= level:
        typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def user_errors(command: F) -> F:
    """Turn the errors a user can cause (files, paths, data) into one line and exit 1."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as err:
            _fail(f"error: {err}")
        except json.JSONDecodeError as err:
            _fail(f"error: not JSON lines: {err.msg} (line {err.lineno})")
        except OSError as err:
            where = f"{err.filename}: " if err.filename else ""
            _fail(f"error: {where}{err.strerror or err}")
        except (ValueError, KeyError, UnicodeError) as err:
            _fail(f"error: {type(err).__name__}: {err}")

    return run  # type: ignore[return-value]


def check_out(out: Path) -> None:
    """--out must be a directory kpiscan can write in: checked before any work."""
    if out.exists() and not out.is_dir():
        _fail(f"error: --out {out}: exists and is not a directory", 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".kpiscan-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        _fail(f"error: --out {out}: cannot write there ({err.strerror or err})", 2)


def report_problems(result: Any, single_file: bool, strict: bool = False) -> int:
    """Print each bad or skipped file on one line (stderr); the exit code the command should
    return: 1 when nothing could be scanned, or (with --strict) when any file failed.
    `result`: a ScanResult, or the BatchStats of a streamed scan (files counted, not listed)."""
    skipped = set(result.skipped)
    files = result.files if isinstance(result.files, int) else len(result.files)
    for problem in result.problems:
        typer.echo(f"{'skipped' if problem.path in skipped else 'error'}: {problem}", err=True)
    failed = {p.path for p in result.problems if p.path not in skipped}
    if not files:
        typer.echo(f"error: no file to scan ({len(skipped)} skipped)", err=True)
        return 1
    if not failed:
        return 0
    if not single_file:
        say(f"{len(failed)} of {files} files had problems (listed above)", 0)
        return 1 if strict or len(failed) == files else 0
    return 1


EXIT_LOCKED = 75  # EX_TEMPFAIL: another scan holds --out; try again later


def counts(stats: Any) -> str:
    """What the indicator count of a run (BatchStats) counts: printed rows, and records (one per row and half)."""
    return f"{stats.rows} indicator rows ({stats.indicators} indicator records, one per half)"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kpiscan {__version__}")
        raise typer.Exit(0)


@app.callback()
def options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version and exit"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="errors only: no progress bar, no summary"),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="more detail: every output file, timings"),
) -> None:
    """Analyse 绩效目标表 indicators in budget disclosures."""
    Verbosity.level = 0 if quiet else 2 if verbose else 1


@app.command()
@user_errors
def scan(  # noqa: C901 (one option per line; the body only dispatches)
    paths: List[Path] = typer.Argument(..., help="files or directories (scanned recursively)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write indicators.<fmt>, tables.jsonl, unparsed.jsonl here"),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl | csv | parquet"),
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    no_classify: bool = typer.Option(False, "--no-classify", help="skip the measurability classifier"),
    resume: bool = typer.Option(
        False, "--resume", help="load files already done from OUT/.kpiscan-cache instead of scanning them again (needs --out)"
    ),
    dask: Optional[str] = typer.Option(
        None,
        "--dask",
        help="run on Dask: a scheduler address (tcp://host:8786), env (the address in DASK_SCHEDULER_ADDRESS) "
        "or local[:N] (N worker processes); overrides --workers; needs kpiscan[dask]",
    ),
    dask_files: str = typer.Option(
        "send", "--dask-files", help="send: ship each file's bytes to the workers; shared: workers read the absolute paths (checked first)"
    ),
    file_timeout: float = typer.Option(
        600.0, "--file-timeout", min=0, help="CPU seconds one file may take before it is reported and skipped (0: no limit)"
    ),
    strict: bool = typer.Option(False, "--strict", help="exit non-zero when any file failed"),
) -> None:
    """Extract every indicator of every 绩效目标表: JSONL on stdout, or files in --out.

    Each file's records are written as soon as it is done. With --out every file's result is also
    cached in OUT/.kpiscan-cache, so an interrupted run goes on with --resume."""
    from .batch import CACHE_DIRNAME, DASK_FILES, BatchStats, OutputLocked, import_distributed, scan_to_outputs
    from .write import FORMATS

    if fmt not in FORMATS:
        _fail(f"error: --format must be one of {', '.join(FORMATS)}", 2)
    if resume and out is None:
        _fail("error: --resume needs --out (the cache is kept in OUT/.kpiscan-cache)", 2)
    if fmt != "jsonl" and out is None:
        _fail(f"error: --format {fmt} needs --out (only jsonl goes to stdout)", 2)
    if out is not None:
        check_out(out)
    if dask is not None:
        if dask_files not in DASK_FILES:
            _fail(f"error: --dask-files must be one of {', '.join(DASK_FILES)}", 2)
        try:
            import_distributed(lean=True)
        except ImportError:
            _fail("error: --dask needs the optional dependency dask: pip install 'kpiscan[dask]'", 2)
    stats = BatchStats()
    options = dict(
        classify=not no_classify, workers=workers, dask=dask, dask_files=dask_files, file_timeout=file_timeout or None,
        show_progress=None if Verbosity.level else False,
    )
    try:
        written = scan_to_outputs(paths, out, fmt, resume=resume, stats=stats, **options)
    except OutputLocked as err:
        _fail(f"error: {err}", EXIT_LOCKED)
    except KeyboardInterrupt:
        if out is not None:
            typer.echo(
                f"interrupted: the {stats.scanned} files finished in this run are cached in {out / CACHE_DIRNAME}; "
                "run the same command with --resume to go on",
                err=True,
            )
        raise typer.Exit(130) from None
    except (OSError, ValueError, TimeoutError) as err:
        if dask is None:
            raise
        _fail(f"error: --dask {dask}: {err}")
    single = len(paths) == 1 and not paths[0].is_dir()  # a FIFO or a dangling link named alone is one file too
    if out is not None:
        rows = counts(stats)
        say(
            f"{stats.files} files{f' ({stats.cached} from cache)' if stats.cached else ''}"
            f"{f', {len(stats.skipped)} skipped' if stats.skipped else ''}, {stats.tables} tables, "
            f"{rows}, {stats.unparsed} unparsed -> {out}"
        )
        say("wrote " + ", ".join(str(p) for p in written.values()) + f" in {stats.seconds:.1f} s ({stats.mode})", 2)
    raise typer.Exit(report_problems(stats, single, strict))


@app.command("eval")
@user_errors
def evaluate(
    pred: Optional[Path] = typer.Argument(None, help="predicted indicators JSONL; default: scan the gold's documents"),
    gold: List[Path] = typer.Option(None, "--gold", help="gold JSONL files (default corpora/gold/*.jsonl)"),
    corpus: Path = typer.Option(Path("corpora"), "--corpus", help="where the gold's documents are"),
    show: bool = typer.Option(False, "--show", help="list missed and spurious records"),
) -> None:
    """Precision, recall and F1 of (period, project, name, value) per document, and level2 accuracy."""
    from .evaluate import read_jsonl, score

    gold_files = list(gold) if gold else sorted((corpus / "gold").glob("*.jsonl"))
    if not gold_files:
        _fail(f"error: no gold files (looked in {corpus / 'gold'})")
    gold_records = read_jsonl(gold_files)
    if pred is not None:
        predicted = read_jsonl([pred])
    else:
        docs = sorted({r["doc"] for r in gold_records})
        missing = [d for d in docs if not (corpus / d).exists()]
        if missing:
            _fail(f"error: gold documents not found in {corpus}: {', '.join(missing)}")
        from .batch import run_scan

        predicted = run_scan([corpus / d for d in docs], classify=False).records()
    scores = score(gold_records, predicted)
    typer.echo(f"{'document':40} {'gold':>5} {'pred':>5} {'P':>6} {'R':>6} {'F1':>6} {'L2acc':>6}")
    for s in scores:
        typer.echo(
            f"{s.doc:40} {s.gold:5d} {s.predicted:5d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.level2_accuracy:6.3f}"
        )
        if show:
            for r in sorted(s.missed, key=lambda r: r["line"]):
                typer.echo(f"    missed   {r['line']:>5} {r['period']:14} {r['name']} | {r['value']}")
            for r in sorted(s.spurious, key=lambda r: r["line"]):
                typer.echo(f"    spurious {r['line']:>5} {r['period']:14} {r['name']} | {r['value']}")
    total = sum(s.gold for s in scores), sum(s.predicted for s in scores), sum(s.matched for s in scores)
    micro_p = total[2] / total[1] if total[1] else 0.0
    micro_r = total[2] / total[0] if total[0] else 0.0
    micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    typer.echo(f"{'all (micro)':40} {total[0]:5d} {total[1]:5d} {micro_p:6.3f} {micro_r:6.3f} {micro_f:6.3f}")


@app.command("value")
@user_errors
def value(
    texts: List[str] = typer.Argument(..., help="printed 指标值 texts, e.g. '≤13.93万元' '12月前'"),
    year: Optional[int] = typer.Option(None, "--year", help="budget year for dates printed without one"),
    as_json: bool = typer.Option(False, "--json", help="print each Target as one JSON line"),
) -> None:
    """Print the normalised Target (docs/contracts.md) of each value text."""
    from .values import describe, parse_value

    for text in texts:
        target = parse_value(text, year)
        if as_json:
            typer.echo(json.dumps(target.to_dict(), ensure_ascii=False))
        else:
            typer.echo(f"{text}\t{describe(target)}")


def _classifier_ready() -> bool:
    """The measurability classifier and its fitted model are there (the report works without)."""
    try:
        from .classify import MODEL_PATH, assess  # noqa: F401
    except ImportError:
        return False
    return MODEL_PATH.exists()


@app.command("report")
@user_errors
def report(
    paths: List[Path] = typer.Argument(..., help="files or directories (scanned recursively)"),
    out: Path = typer.Option(..., "--out", help="write kpiscan-review.xlsx, index.html and docs/<doc>.html here"),
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    library: Optional[Path] = typer.Option(
        None, "--library", help="compare targets with this `kpiscan library` output (default: the built-in library, or the scan's own)"
    ),
    strict: bool = typer.Option(False, "--strict", help="exit non-zero when any file failed"),
) -> None:
    """Scan, review each table (findings, 0-100 score) and write the reviewer xlsx and HTML reports,
    and the findings and scores as Parquet and CSV (findings.*, table_scores.*, document_scores.*).
    Streaming (kpiscan.report.report_parts): no document is held past its own turn; peak memory
    still grows slowly with the corpus (docs/report.md, "Cost")."""
    from .batch import BatchStats
    from .report import report_scan

    check_out(out)
    classify = _classifier_ready()
    if not classify:
        say("warning: the measurability classifier is not available; reporting without labels", 0)
    lib = None
    if library is not None:
        from .practice import Library

        try:
            lib = Library.read(library)
        except (OSError, ValueError) as err:
            _fail(f"error: --library {library}: {err}")
    stats = BatchStats()
    written: dict[str, Any] = report_scan(paths, out, classify=classify, workers=workers, library=lib, stats=stats,
                                          show_progress=None if Verbosity.level else False)
    say(
        f"{stats.files} files, {stats.tables} tables, {counts(stats)}, {written['n_findings']} findings -> "
        f"{written['xlsx']}, {written['index']}, "
        f"{len(written['docs'])} pages in {out / 'docs'}"
    )
    say("wrote " + ", ".join(str(p) for p in written["tabular"]), 2)
    single = len(paths) == 1 and paths[0].is_file()
    raise typer.Exit(report_problems(stats, single, strict))


@app.command("train")
@user_errors
def train(
    gold: Path = typer.Option(Path("corpora/gold"), "--gold", help="directory of gold *.jsonl files"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory to write the fitted models and their manifests into"),
    force: bool = typer.Option(False, "--force", help="allow writing into the installed package's models/ (replacing the shipped models)"),
    evaluate: bool = typer.Option(False, "--evaluate", help="also print leave-one-document-out scores beside the lexicon baseline"),
) -> None:
    """Fit the measurability and category models on the gold labels (deterministic) and save them
    as JSON arrays with a manifest. Use them with KPISCAN_MODELS=DIR."""
    from .classify import PACKAGED_MODELS
    from .classify.training import evaluation_text, speed
    from .classify.training import train as train_models

    if out is None and not force:
        _fail("error: say where to write the models: --out DIR (or --force to replace the packaged models)")
    target = out or PACKAGED_MODELS
    if target.resolve() == PACKAGED_MODELS.resolve() and not force:
        _fail(f"error: {target} holds the packaged models; add --force to replace them")
    try:
        model, path, examples = train_models(gold, target)
    except FileNotFoundError as err:
        _fail(f"error: {err}")
    except ImportError as err:
        _fail(f"error: training needs scikit-learn ({err}): pip install 'kpiscan[train]'")
    typer.echo(f"trained on {len(examples)} indicators -> {path} ({path.stat().st_size / 1024:.1f} KiB) + manifest")
    from .classify.category import train as train_category

    cat_path, n = train_category(gold, target)
    typer.echo(f"category model on {n} indicators -> {cat_path} ({cat_path.stat().st_size / 1024:.1f} KiB) + manifest")
    if evaluate:
        typer.echo(evaluation_text(examples, path))
        rate = speed(model, [e.item for e in examples])
        typer.echo(f"speed: {rate:,.0f} indicators/s (model.decide over {len(examples)} parsed items)")


@app.command("classify")
@user_errors
def classify_command(
    name: str = typer.Option(..., "--name", help="the 三级指标 name"),
    value: str = typer.Option(..., "--value", help="the 指标值 as printed"),
    level2: Optional[str] = typer.Option(None, "--level2", help="the 二级 category, e.g. 时效指标"),
    year: Optional[int] = typer.Option(None, "--year", help="budget year for dates printed without one"),
    as_json: bool = typer.Option(False, "--json", help="print the verdict as JSON"),
) -> None:
    """Label one indicator quantitative / temporal / binary / vague / malformed, with reasons."""
    from .classify import classify_one

    verdict = classify_one(name, value, level2, year)
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        proba = "" if verdict.proba is None else f"\tp={verdict.proba:.2f}"
        flag = "flagged" if verdict.flagged else "ok"
        typer.echo(f"{verdict.label}\t{flag}\t{', '.join(verdict.reasons)}{proba}")


@app.command("library")
@user_errors
def library(
    paths: List[Path] = typer.Argument(..., help="the corpus: files or directories (scanned recursively)"),
    out: Path = typer.Option(..., "--out", help="write families.parquet, members.parquet, families.csv here"),
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    strict: bool = typer.Option(False, "--strict", help="exit non-zero when any file failed"),
) -> None:
    """Group the corpus's indicator names into families with their target distributions per unit.

    Files are scanned one at a time and reduced to names, counts and target values, so memory
    stays bounded whatever the corpus size."""
    from .practice.families import library_of_files

    check_out(out)
    lib, result, n_rows = library_of_files(paths, workers=workers)
    written = lib.write(out)
    say(
        f"{len(result.files)} files, {n_rows} indicator rows, {lib.families['family_id'].nunique()} families "
        f"({len(lib.families)} family-units) -> " + ", ".join(str(p) for p in written.values())
    )
    single = len(paths) == 1 and paths[0].is_file()
    raise typer.Exit(report_problems(result, single, strict))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
