"""manifest.json: what an output folder holds and how it was made (DESIGN.md promise 10).

Written last into the folder, after every other file, so a folder without one is visibly
incomplete. It names every file (sub-folders too, relative POSIX paths, sorted) with its sha256
and size, the command line, sendplan's version, the seed, the work limit, the travel model and
the sha256 of each input file. It holds no time stamp: the same run gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from sendplan.api.atomic import GENERATOR, MANIFEST_NAME
from sendplan.api.json_files import write_json
from sendplan.geo.digest import file_sha256
from sendplan.routing.summary import Summary

MANIFEST_VERSION = 1


def file_entries(folder: Path) -> list[dict[str, Any]]:
    """``{"path", "sha256", "bytes"}`` for every file under ``folder`` except the manifest."""
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder) != Path(MANIFEST_NAME)
    )
    return [
        {
            "path": p.relative_to(folder).as_posix(),
            "sha256": file_sha256(p),
            "bytes": p.stat().st_size,
        }
        for p in files
    ]


def manifest_document(
    folder: Path, summary: Summary, *, command: Sequence[str] | None
) -> dict[str, Any]:
    versions = dict(summary.versions)
    version = versions.get("sendplan") or metadata.version("sendplan")
    return {
        "generator": GENERATOR,
        "manifest_version": MANIFEST_VERSION,
        "sendplan_version": version,
        "versions": versions,
        "command": None if command is None else list(command),
        "seed": summary.seed,
        "work_limit": summary.work_limit,
        "travel_model": summary.travel_model,
        "inputs": dict(summary.inputs),
        "files": file_entries(folder),
    }


def write_manifest(folder: Path, summary: Summary, *, command: Sequence[str] | None) -> Path:
    """manifest.json for everything already in ``folder``; call it after the last file."""
    document = manifest_document(folder, summary, command=command)
    path = folder / MANIFEST_NAME
    write_json(document, path)
    return path


def write_command_manifest(folder: Path, *, command: Sequence[str] | None, **extra: Any) -> Path:
    """manifest.json for a command whose output has no Summary (forecast, expand, compare):
    the generator, versions, command line, any ``extra`` fields and every file; call it after
    the last file. No time stamp, so the same run gives the same bytes."""
    document = {
        "generator": GENERATOR,
        "manifest_version": MANIFEST_VERSION,
        "sendplan_version": metadata.version("sendplan"),
        "command": None if command is None else list(command),
        **extra,
        "files": file_entries(folder),
    }
    path = folder / MANIFEST_NAME
    write_json(document, path)
    return path


def manifest_problems(folder: Path) -> list[str]:
    """What differs between ``folder`` and its manifest (missing, extra or changed files);
    empty when the folder is exactly what the manifest says."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return [f"no {MANIFEST_NAME}"]
    listed = {e["path"]: e for e in json.loads(path.read_text(encoding="utf-8"))["files"]}
    found = {e["path"]: e for e in file_entries(folder)}
    problems = [f"missing {p}" for p in sorted(listed.keys() - found.keys())]
    problems += [f"not in the manifest: {p}" for p in sorted(found.keys() - listed.keys())]
    problems += [
        f"changed: {p}"
        for p in sorted(listed.keys() & found.keys())
        if (listed[p]["sha256"], listed[p]["bytes"]) != (found[p]["sha256"], found[p]["bytes"])
    ]
    return problems
