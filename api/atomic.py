"""Output folders that appear whole or not at all (DESIGN.md promise 10).

``with atomic_output(out) as folder:`` hands out a new hidden folder beside ``out`` (same
parent, ``.OUT.tmp-<random>``). The run writes every file there; only when the block ends
without an error are the files made durable (fsync) and the folder swapped into place: on Linux
in one atomic step (``renameat2(RENAME_EXCHANGE)``), elsewhere by renaming the old folder aside,
the new one in, then deleting the old. On an exception, Ctrl-C, SIGTERM or SIGHUP the temporary
folder is removed and ``out`` is left exactly as it was; a SIGKILL can leave a hidden temporary
folder beside it, never a half-written ``out``. Since the whole folder is replaced, no file of
an earlier run can sit beside the new ones.

``out`` must be a folder sendplan may replace: new, empty, or written by sendplan before (it
holds our ``manifest.json`` and only files it lists, or only the names of our outputs). A
regular file, or a folder holding other files (``--out .`` in a home folder), is refused with an
error naming the option, before any work is done (:func:`check_out_folder`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

from sendplan.errors import InputError, loads_json, visible

MANIFEST_NAME = "manifest.json"
GENERATOR = "sendplan"
# What sendplan writes into an output folder (this version and earlier ones).
OUTPUT_NAMES = frozenset(
    {"summary.json", "placements.csv", "placements.xlsx", "explanations.json", "report.html",
     "routes.json", "changes.json",
     "routes.geojson", "route_sheets.xlsx", "transport_review.csv", "evaluation.json",
     "results.gpkg", "scenario", MANIFEST_NAME}
)  # fmt: skip
_BROWSER_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def check_out_folder(out: Path, *, option: str = "--out") -> Path:
    """``out`` as an absolute path if a run may write it, else an InputError naming ``option``:
    it must not be a file, nor a folder holding files sendplan did not write."""
    path = Path(os.path.abspath(out))
    shown = visible(str(out), 80)
    if not path.name:
        raise InputError(option, f"{shown} is the root of the file system; give a folder")
    if path.exists() and not path.is_dir():
        raise InputError(option, f"{shown} is a file, not a folder")
    if path.is_dir():
        try:
            names = sorted(entry.name for entry in path.iterdir())
        except OSError as err:
            raise InputError(option, f"cannot read the folder {shown} ({err.strerror})") from None
        foreign = _not_ours(path, names) if names else None
        if foreign is not None:
            raise InputError(
                option,
                f"the folder {shown} holds files sendplan did not write (such as "
                f"{visible(foreign)}); give a new or empty folder, or one sendplan wrote",
            )
    return path


def check_inputs_outside(
    out: Path, inputs: dict[str, Path | None], *, option: str = "--out"
) -> None:
    """An InputError when an input (by its option or argument name) lies inside ``out``: the
    run replaces the whole output folder, so it would delete its own input."""
    target = Path(os.path.realpath(out))
    for name, given in inputs.items():
        if given is None:
            continue
        source = Path(os.path.realpath(given))
        if source == target or target in source.parents:
            raise InputError(
                option,
                f"{visible(str(out), 80)} holds the {name} {visible(str(given), 80)}; the run "
                "replaces the whole output folder, so write the outputs somewhere else",
            )


def _not_ours(folder: Path, names: list[str]) -> str | None:
    """The first file in ``folder`` (top-level ``names``) that sendplan did not write, or None.

    With our manifest, every file under the folder must be one it lists: a file the user added
    to an output folder (notes beside the results) would otherwise be deleted with the folder
    when it is replaced."""
    if MANIFEST_NAME in names:
        try:
            manifest = loads_json((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
            listed = {str(entry["path"]) for entry in manifest["files"]}
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
            return MANIFEST_NAME
        if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
            return MANIFEST_NAME
        found = sorted(
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if not p.is_dir() and p.name not in _BROWSER_FILES
        )
        return next((p for p in found if p != MANIFEST_NAME and p not in listed), None)
    # Written before manifests existed: only our names (and what file browsers leave behind).
    return next((n for n in names if n not in OUTPUT_NAMES | _BROWSER_FILES), None)


@contextmanager
def atomic_output(out: Path, *, option: str = "--out") -> Iterator[Path]:
    """A new empty folder to write a run's outputs into; swapped in as ``out`` on success."""
    target = check_out_folder(out, option=option)
    shown = visible(str(out), 80)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(option, f"cannot create the folder {shown} ({err.strerror})") from None
    with _Interrupts() as interrupts:
        try:
            work = _new_folder(target.parent, f".{target.name}.tmp-")
        except OSError as err:
            raise InputError(
                option, f"cannot write beside the folder {shown} ({err.strerror})"
            ) from None
        try:
            yield work
            with interrupts.deferred():  # a signal now waits until the swap is done
                _fsync_tree(work)
                check_out_folder(out, option=option)  # nothing foreign arrived meanwhile
                _swap(work, target)
        finally:
            # After a swap this is the previous results; after a failure, the partial ones.
            if work.is_symlink():
                work.unlink()
            else:
                shutil.rmtree(work, ignore_errors=True)


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new folder with a random name, made as ``mkdir`` makes one (the umask decides who may
    read it, as for any folder the user makes; tempfile.mkdtemp would make it private)."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free temporary folder name", str(parent))


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; the previous ``target`` (if any) ends at ``new``'s path."""
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
    elif not _exchange(new, target):
        aside = _new_folder(target.parent, f".{target.name}.old-")
        os.rename(target, aside / "previous")
        try:
            os.rename(new, target)
        except OSError:
            os.rename(aside / "previous", target)
            shutil.rmtree(aside, ignore_errors=True)
            raise
        os.rename(aside / "previous", new)
        aside.rmdir()
    _fsync_dir(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where that is unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    renameat2.restype = ctypes.c_int
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_tree(folder: Path) -> None:
    """Every file and folder under ``folder`` on disk, so a power cut cannot swap in holes."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(root))


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory; the data is still written
    finally:
        os.close(descriptor)


class _Interrupts:
    """While active (main thread only): SIGTERM and SIGHUP raise SystemExit(128 + signal) and
    Ctrl-C KeyboardInterrupt, so ``finally`` blocks clean up; inside :meth:`deferred` a signal
    is held until the block ends. A signal ignored on entry stays ignored."""

    def __init__(self) -> None:
        self._previous: dict[int, object] = {}
        self._deferring = False
        self._pending: int | None = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in _SIGNALS:
                # One the run was started ignoring stays ignored: nohup's SIGHUP, or Ctrl-C
                # for a job a shell started in the background.
                if signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        if self._deferring:
            self._pending = number
            return
        _raise_for(number)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._pending is not None:
            _raise_for(self._pending)


def _raise_for(number: int) -> None:
    if number == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + number)
