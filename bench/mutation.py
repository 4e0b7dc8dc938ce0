"""Mutation testing of the three independent checkers, each against its own tests only.

A checker earns trust by catching every broken rule. This script breaks the checkers (mutmut 3
changes one operator, constant, comparison or string at a time) and asks whether the checker's
*own* test file notices; a mutant no test kills is a rule the checker could silently stop
enforcing. The three checkers are independent and are tested apart:

- ``placement``: ``routing/placement/check.py`` and ``check_rules.py`` against
  ``tests/placement/test_checker*.py``;
- ``transport``: ``routing/transport/check.py`` and ``check_rules.py`` against
  ``tests/transport/test_transport_check*.py``;
- ``engine``: ``routing/vrp/check.py`` against ``tests/engine/test_vrp_check*.py``.

The test files are globbed at run time (``test_checker.py`` and ``test_checker_limits.py``
today), so a checker's new test file counts at once and a planner's test never does.
Hypothesis runs with a fixed seed (and so without its example database), keeping the verdicts
the same from run to run.

The repository is never touched. Each checker gets a fresh scratch project,
``.mutation/<name>/``: a copy of the package as ``sendplan/``, a copy of ``tests/``, and a
``pyproject.toml`` holding the repository's pytest settings and a ``[tool.mutmut]`` table that
mutates only that checker's files and selects only its test files. mutmut copies that project
into ``.mutation/<name>/mutants/``, puts it first on ``sys.path`` (ahead of the editable
install's finder) and, before any mutant, runs the selected tests with every mutated function
forced to raise: if they still passed, the tests would not be importing the mutated copy, and
mutmut (and so this script) fails.

Output: one JSON object on stdout, per checker ``mutants``, ``killed``, ``survived``,
``timeout`` (when any), any other mutmut verdict that occurred (``no_tests``: no selected test
calls the function; ``suspicious``, ``segfault``, ``skipped``), ``score_pct`` = (killed +
timeout) / mutants, and ``survivors``: every mutant neither killed nor timed out, with its
mutmut id (``mutmut show ID`` inside ``.mutation/<name>/`` prints the whole diff), its
``file:line`` and the changed line before and after. Lines are those of the copy taken when the
run began (kept in ``.mutation/<name>/sendplan/`` until the next run), which is the repository's
unless someone edited it meanwhile. Code mutmut cannot mutate is listed under ``not_mutated``.
Progress goes to stderr (``tail -f .mutation/<name>/mutmut.log`` for mutmut's own).
Exit status 0 whatever the score (this is a report), 1 when mutmut itself fails.

    .venv/bin/python bench/mutation.py [--only engine] [--jobs 2] [--out report.json]
"""

from __future__ import annotations

import argparse
import ast
import bisect
import contextlib
import io
import json
import keyword
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tokenize
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / ".mutation"
PACKAGE = "sendplan"
# tests/conftest.py looks for the shared data two levels above itself; in the scratch project
# that is .mutation/<name>/, where a link to the real ../shared keeps CI's rule satisfied.
SHARED = ROOT.parent / "shared"
HYPOTHESIS_SEED = 0


@dataclass(frozen=True)
class Target:
    """One checker: the files mutated and the only tests (glob patterns under the repository)
    allowed to kill their mutants."""

    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]

    def test_files(self) -> list[str]:
        found = {p.relative_to(ROOT).as_posix() for t in self.tests for p in ROOT.glob(t)}
        return sorted(found)


TARGETS: tuple[Target, ...] = (
    Target(
        "placement",
        ("routing/placement/check.py", "routing/placement/check_rules.py"),
        ("tests/placement/test_checker*.py",),
    ),
    Target(
        "transport",
        ("routing/transport/check.py", "routing/transport/check_rules.py"),
        ("tests/transport/test_transport_check*.py",),
    ),
    Target("engine", ("routing/vrp/check.py",), ("tests/engine/test_vrp_check*.py",)),
)

# mutmut's verdicts (``mutmut results``) as JSON keys; killed and timeout count as caught.
CAUGHT = ("killed", "timeout")
VERDICT_KEYS = ("survived", "timeout", "no_tests", "suspicious", "segfault", "skipped")
ALWAYS_SHOWN = ("survived",)

SPINNER = re.compile(r"^[\u2800-\u28ff] ")  # mutmut's progress lines
# "349/392  🎉 255 🫥 0  ⏰ 0  🤔 0  🙁 94": tested/total, killed, no tests, timeout, suspicious,
# survived (mutmut 3.8's progress line; only used for progress messages).
PROGRESS = re.compile(
    r"(\d+)/(\d+)\s+\U0001f389 (\d+) \U0001fae5 (\d+)\s+\u23f0 (\d+)\s+\U0001f914 (\d+)"
    r"\s+\U0001f641 (\d+)"
)
PROGRESS_EVERY_S = 60.0
RESULT_LINE = re.compile(r"^\s+(\S+): (.+?)\s*$")
HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
MUTANT_SUFFIX = re.compile(r"__mutmut_\d+$")
CLASS_SEPARATOR = "ǁ"  # how mutmut spells Class.method in a mutant id
SKIPPED_WHY = (
    "not mutated: mutmut 3.8 writes invalid Python when it drops a bracketed multi-line not"
)


class MutmutFailed(RuntimeError):
    """mutmut did not complete a run: the report would be wrong, so the script fails."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mutmut_command() -> Path:
    beside = Path(sys.executable).parent / "mutmut"
    if beside.is_file():
        return beside
    found = shutil.which("mutmut")
    if found is None:
        raise MutmutFailed("mutmut is not installed (pip install 'mutmut>=3.8,<4')")
    return Path(found)


def toml_value(value: object) -> str:
    """A TOML literal for the simple values pytest and mutmut settings use."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_table(name: str, table: dict[str, Any]) -> str:
    return "\n".join([f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in table.items())])


def prepare(target: Target, tests: list[str], work: Path) -> list[dict[str, str]]:
    """A fresh scratch project: the package as ``sendplan/``, ``tests/`` and a pyproject.
    Returns the code left unmutated (see :func:`bracketed_multiline_nots`)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    package = work / PACKAGE
    package.mkdir(parents=True)
    # The repository root is the package: its top-level modules and its subpackages.
    for entry in sorted(ROOT.iterdir()):
        if entry.is_file() and entry.suffix == ".py":
            shutil.copy2(entry, package / entry.name)
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            shutil.copytree(entry, package / entry.name, ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    if SHARED.is_dir():
        (work / "shared").symlink_to(SHARED, target_is_directory=True)
    with (ROOT / "pyproject.toml").open("rb") as f:
        pytest_options = tomllib.load(f)["tool"]["pytest"]["ini_options"]
    skipped: list[dict[str, str]] = []
    patterns: list[str] = []
    for source in target.sources:
        lines = (package / source).read_text(encoding="utf-8").splitlines()
        for first, last in bracketed_multiline_nots("\n".join(lines)):
            patterns.append("^" + re.escape(lines[first - 1]) + "$")
            skipped.append({"where": f"{source}:{first}-{last}", "why": SKIPPED_WHY})
    mutmut_options: dict[str, Any] = {
        "source_paths": [PACKAGE],
        "only_mutate": [f"{PACKAGE}/{s}" for s in target.sources],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", f"--hypothesis-seed={HYPOTHESIS_SEED}"],
        "use_git_change_detection": False,
        "use_setproctitle": False,
    }
    if patterns:
        mutmut_options["do_not_mutate_patterns"] = sorted(set(patterns))
    text = (
        f"# Generated by bench/mutation.py for the {target.name} checker; deleted on each run.\n"
        + toml_table("tool.mutmut", mutmut_options)
        + "\n\n"
        + toml_table("tool.pytest.ini_options", pytest_options)
        + "\n"
    )
    (work / "pyproject.toml").write_text(text, encoding="utf-8")
    return skipped


def bracketed_multiline_nots(source: str) -> list[tuple[int, int]]:
    """First and last line of each ``not`` expression that spans several lines and alone
    fills a pair of grouping brackets, as in ``if (\n    not a\n    <= b\n):``.

    mutmut 3.8 removes such a ``not`` together with its brackets and writes invalid Python
    (``if a\n    <= b:``), which aborts the whole run; its ``do_not_mutate_patterns`` then
    leaves the expression unmutated, and the report says so."""
    significant = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    ]
    starts = [t.start for t in significant]
    lines = source.splitlines()

    def position(line: int, utf8_col: int) -> tuple[int, int]:
        """ast counts columns in UTF-8 bytes, tokenize in characters."""
        return line, len(lines[line - 1].encode()[:utf8_col].decode(errors="ignore"))

    spans: list[tuple[int, int]] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            continue
        last = node.end_lineno or node.lineno
        i = bisect.bisect_left(starts, position(node.lineno, node.col_offset))
        j = bisect.bisect_left(starts, position(last, node.end_col_offset or 0))
        if not 1 <= i < j < len(significant):
            continue
        opening, closing = significant[i - 1], significant[j]
        before = significant[i - 2] if i >= 2 else None
        grouping = (
            before is None
            or before.type == tokenize.NEWLINE
            or (before.type == tokenize.OP and before.string not in ")]}")
            or (before.type == tokenize.NAME and keyword.iskeyword(before.string))
        )
        if grouping and (opening.string, closing.string) == ("(", ")") and node.lineno != last:
            spans.append((node.lineno, last))
    return sorted(spans)


def run(
    args: list[str],
    work: Path,
    log_file: Path,
    timeout_s: float | None = None,
    stdin: str = "",
    progress: str = "",
) -> subprocess.CompletedProcess[str]:
    """Run a command in ``work``, in its own process group (killed whole on timeout), stderr
    appended to the log. Its stdout is returned; with ``progress``, it goes to the log instead
    (so the log can be followed live) and the latest mutmut status reaches stderr every
    ``PROGRESS_EVERY_S`` seconds, prefixed by ``progress``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MUTANT_UNDER_TEST")}
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with log_file.open("a", encoding="utf-8") as sink:
        sink.write(f"\n$ {' '.join(args)}\n")
        sink.flush()
        proc = subprocess.Popen(
            args,
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL if progress else subprocess.PIPE,
            stdout=sink if progress else subprocess.PIPE,
            stderr=sink,
            text=True,
            start_new_session=True,
        )
        try:
            if not progress:
                out, _ = proc.communicate(stdin, timeout=timeout_s)
                return subprocess.CompletedProcess(args, proc.returncode, out, "")
            while True:
                wait_s = PROGRESS_EVERY_S
                if deadline is not None:
                    wait_s = max(0.0, min(wait_s, deadline - time.monotonic()))
                try:
                    proc.wait(timeout=wait_s)
                    return subprocess.CompletedProcess(args, proc.returncode, "", "")
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
                    if status := latest_status(log_file):
                        log(f"{progress} {status}")
        except subprocess.TimeoutExpired:
            stop(proc)
            raise MutmutFailed(f"{args[1]} did not finish within {timeout_s:.0f} s") from None
        except BaseException:  # Ctrl-C: the process group is not in the terminal's, stop it too
            stop(proc)
            raise


def stop(proc: subprocess.Popen[str]) -> None:
    """Kill the process group this script started for ``proc`` (mutmut and its workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def latest_status(log_file: Path) -> str:
    """mutmut's last progress line in the log, in words ("" before mutants run)."""
    with log_file.open("rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
        tail = f.read().decode("utf-8", errors="replace")
    found = PROGRESS.findall(tail)
    if not found:
        return ""
    done, total, killed, untested, timeout, _, survived = found[-1]
    return (
        f"{done}/{total} mutants tested: {killed} killed, {survived} survived, "
        f"{timeout} timeout, {untested} untested"
    )


def log_tail(log_file: Path, lines: int = 40) -> str:
    text = log_file.read_text(encoding="utf-8", errors="replace").replace("\r", "\n")
    kept = [line for line in text.splitlines() if line.strip() and not SPINNER.match(line)]
    return "\n".join(kept[-lines:])


def function_spans(source: str) -> dict[tuple[str | None, str], tuple[int, int]]:
    """(class or None, function) -> (first line with decorators, last line) in ``source``."""
    spans: dict[tuple[str | None, str], tuple[int, int]] = {}

    def add(owner: str | None, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        spans[owner, node.name] = (start, node.end_lineno or node.lineno)

    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(None, node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(node.name, item)
    return spans


def owner_and_function(mutant_id: str) -> tuple[str | None, str]:
    """``pkg.mod.xǁCǁf__mutmut_3`` -> ("C", "f"); ``pkg.mod.x_f__mutmut_3`` -> (None, "f")."""
    mangled = MUTANT_SUFFIX.sub("", mutant_id.rpartition(".")[2])
    if mangled.startswith("x" + CLASS_SEPARATOR):
        _, owner, function = mangled.split(CLASS_SEPARATOR)
        return owner, function
    return None, mangled.removeprefix("x_")


@dataclass(frozen=True)
class Change:
    """One mutant's edit: where it starts within its function (1 = the function's first line,
    as mutmut prints it), the original line(s) and the mutated line(s)."""

    offset: int
    before: str
    after: str


def read_diff(diff: str) -> Change:
    first = 0
    old_line = 0
    removed: list[str] = []
    added: list[str] = []
    for line in diff.splitlines():
        hunk = HUNK.match(line)
        if hunk:
            old_line = int(hunk.group(1))
        elif line.startswith(("---", "+++")):
            continue
        elif line.startswith(("-", "+")):
            first = first or old_line
            if line.startswith("-"):
                removed.append(line[1:].strip())
                old_line += 1
            else:
                added.append(line[1:].strip())
        elif line.startswith(" "):
            old_line += 1
    return Change(first, " ".join(removed), " ".join(added))


def locate(change: Change, span: tuple[int, int] | None, lines: list[str]) -> int | None:
    """The changed line's number in the file: the function's start plus the diff's offset,
    checked against the text (mutmut re-prints the function, so trust the text if they differ).
    """
    if span is None:
        return None
    start, end = span
    guess = start + max(change.offset, 1) - 1
    first = change.before[:60]
    if 0 < guess <= len(lines) and lines[guess - 1].strip().startswith(first):
        return guess
    near = [n for n in range(start, end + 1) if first and lines[n - 1].strip().startswith(first)]
    return min(near, key=lambda n: abs(n - guess)) if near else guess


def print_diffs() -> int:
    """Run inside a scratch project (``--print-diffs``): mutmut's diff of each mutant named on
    stdin, as JSON. One process for all survivors, where ``mutmut show`` takes ~0.4 s each."""
    try:
        # mutmut is a dev-only tool: imported only when a mutation report is asked for.
        from mutmut.mutation.diff_apply import get_diff_for_mutant
    except ImportError:  # a mutmut whose diff API moved: the caller uses `mutmut show`
        return 3
    json.dump({name: get_diff_for_mutant(name) for name in json.load(sys.stdin)}, sys.stdout)
    return 0


def diffs(mutmut: Path, work: Path, log_file: Path, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    helper = [sys.executable, str(Path(__file__).resolve()), "--print-diffs"]
    done = run(helper, work, log_file, 600, json.dumps(names))
    if done.returncode == 0:
        try:
            found: dict[str, str] = json.loads(done.stdout)
            if set(found) >= set(names):
                return found
        except json.JSONDecodeError:
            pass
    log("  (mutmut's diff API is unavailable; falling back to `mutmut show`, ~0.4 s a mutant)")
    out: dict[str, str] = {}
    for name in names:
        shown = run([str(mutmut), "show", name], work, log_file, 120)
        if shown.returncode != 0:
            raise MutmutFailed(f"mutmut show {name} failed")
        out[name] = shown.stdout
    return out


def mutate(target: Target, jobs: int, timeout_s: float) -> dict[str, Any]:
    work = SCRATCH / target.name
    if work.exists():
        shutil.rmtree(work)
    log(f"[{target.name}] scratch project {work.relative_to(ROOT)}/")
    tests = target.test_files()
    if not tests:
        raise MutmutFailed(f"no test file matches {', '.join(target.tests)}")
    skipped = prepare(target, tests, work)
    log_file = work / "mutmut.log"
    mutmut = mutmut_command()
    log(
        f"[{target.name}] mutmut run --max-children {jobs}: {', '.join(target.sources)} "
        f"against {', '.join(tests)} (log: {log_file.relative_to(ROOT)})"
    )
    started = time.monotonic()
    command = [str(mutmut), "run", "--max-children", str(jobs)]
    done = run(command, work, log_file, timeout_s, progress=f"[{target.name}]")
    if done.returncode != 0:
        raise MutmutFailed(f"mutmut run exited {done.returncode}:\n{log_tail(log_file)}")
    if run([str(mutmut), "export-cicd-stats"], work, log_file, 120).returncode != 0:
        raise MutmutFailed(f"mutmut export-cicd-stats failed:\n{log_tail(log_file)}")
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    listed = run([str(mutmut), "results"], work, log_file, 120)
    if listed.returncode != 0:
        raise MutmutFailed(f"mutmut results failed:\n{log_tail(log_file)}")
    status: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        match = RESULT_LINE.match(line)
        if match and match.group(1).startswith(f"{PACKAGE}."):
            status[match.group(1)] = match.group(2)
    unchecked = sorted(k for k, v in status.items() if v == "not checked")
    if unchecked:
        raise MutmutFailed(f"mutmut left {len(unchecked)} mutants unchecked, e.g. {unchecked[0]}")
    total = int(stats["total"])
    counts = {key: int(stats.get(key, 0)) for key in ("killed", *VERDICT_KEYS)}
    if sum(counts.values()) != total:
        raise MutmutFailed(f"mutmut's counts {counts} do not add up to {total} mutants")
    missed = sorted(k for k, v in status.items() if v.replace(" ", "_") not in CAUGHT)
    if len(missed) != total - counts["killed"] - counts["timeout"]:
        raise MutmutFailed(f"mutmut results lists {len(missed)} uncaught mutants, stats differ")
    shown = diffs(mutmut, work, log_file, missed)

    by_module = {f"{PACKAGE}.{s.removesuffix('.py').replace('/', '.')}": s for s in target.sources}
    texts = {s: (work / PACKAGE / s).read_text(encoding="utf-8") for s in target.sources}
    spans = {s: function_spans(text) for s, text in texts.items()}
    placed: list[tuple[tuple[str, int, str], dict[str, Any]]] = []
    for name in missed:
        source = by_module[name.rpartition(".")[0]]
        change = read_diff(shown[name])
        lineno = locate(
            change, spans[source].get(owner_and_function(name)), texts[source].splitlines()
        )
        entry = {
            "id": name,
            "where": f"{source}:{lineno}" if lineno else source,
            "status": status[name],
            "diff": f"{change.before}  =>  {change.after}",
        }
        placed.append(((source, lineno or 0, name), entry))
    survivors = [entry for _, entry in sorted(placed, key=lambda p: p[0])]
    caught = counts["killed"] + counts["timeout"]
    report: dict[str, Any] = {"sources": list(target.sources), "tests": tests}
    report["mutants"] = total
    report["killed"] = counts["killed"]
    for key in VERDICT_KEYS:
        if counts[key] or key in ALWAYS_SHOWN:
            report[key] = counts[key]
    report["score_pct"] = round(100.0 * caught / total, 1) if total else 100.0
    report["survivors"] = survivors
    if skipped:
        report["not_mutated"] = skipped
    log(
        f"[{target.name}] {total} mutants: {counts['killed']} killed, {counts['survived']} "
        f"survived, {counts['timeout']} timeout, {counts['no_tests']} untested; "
        f"score {report['score_pct']}% in {time.monotonic() - started:.1f} s"
    )
    return report


def terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run like Ctrl-C: mutmut's process group is stopped first."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    names = [t.name for t in TARGETS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", action="append", choices=names, help="one checker (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut workers (default 2)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per checker")
    parser.add_argument("--out", type=Path, help="also write the JSON report to this file")
    parser.add_argument("--print-diffs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.print_diffs:
        return print_diffs()
    chosen = [t for t in TARGETS if not args.only or t.name in args.only]
    signal.signal(signal.SIGTERM, terminated)
    if not args.only and SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    started = time.monotonic()
    report: dict[str, Any] = {}
    try:
        for target in chosen:
            report[target.name] = mutate(target, max(1, args.jobs), args.timeout)
    except MutmutFailed as failure:
        log(f"mutation testing failed: {failure}")
        return 1
    except KeyboardInterrupt:
        log("mutation testing interrupted")
        return 130
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    wall_s = time.monotonic() - started
    log(f"mutation testing of {', '.join(t.name for t in chosen)}: wall time {wall_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
