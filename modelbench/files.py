"""Every file and folder modelbench writes is checked here first: one ``OutputError`` line
naming the path and the fix, before any work is done, instead of a traceback after it.

    path = writable_file("out/report.html", option="--html")   # parent folders created
    write_text(path, html, option="--html")
    cache = writable_dir("~/.cache/modelbench", option="--cache")
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from modelbench._errors import OutputError

__all__ = ["writable_dir", "writable_file", "write_text"]


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _make_dir(directory: Path, path: Path, option: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"cannot create the folder {directory}: a file of that name is in the way; "
            f"choose another {option}",
            path=str(path),
        ) from None
    except NotADirectoryError:
        raise OutputError(
            f"cannot create the folder {directory}: part of the path is a file; "
            f"choose another {option}",
            path=str(path),
        ) from None
    except OSError as exc:
        raise OutputError(
            f"cannot create the folder {directory} ({_why(exc)}); choose another {option}",
            path=str(path),
        ) from None


def writable_file(path: str | Path, *, option: str = "the output path") -> Path:
    """``path`` as a file that can be written: parent folders created, not a folder itself.

    ``option`` names where the path came from (``--out``), for the fix in the message.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise OutputError(
            f"is a folder; give a file name for {option}, e.g. {p / 'results.jsonl'}",
            path=str(p),
        )
    _make_dir(p.parent, p, option)
    if p.exists():
        if not os.access(p, os.W_OK):
            raise OutputError(f"cannot write (no permission); choose another {option}", path=str(p))
    elif not os.access(p.parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write in {p.parent} (no permission); choose another {option}", path=str(p)
        )
    return p


def writable_dir(path: str | Path, *, option: str = "the folder") -> Path:
    """``path`` as a folder that exists (created if needed) and can be written in."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise OutputError(f"is a file, not a folder; give a folder for {option}", path=str(p))
    _make_dir(p, p, option)
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write in it (no permission); choose another {option}", path=str(p)
        )
    return p


def _mode_for(p: Path) -> int:
    """The file's own mode when it exists, else what a plain open() would give."""
    if p.exists():
        return p.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: str | Path, text: str, *, option: str = "the output path") -> Path:
    """Write ``text`` (UTF-8) whole or not at all: a failed write leaves an old file as it was."""
    p = writable_file(path, option=option)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _mode_for(p))
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise OutputError(
            f"cannot write ({_why(exc)}); choose another {option}", path=str(p)
        ) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return p
