"""What every command shares: exit codes, one-line errors, parsing of lists of numbers."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

#: Exit codes: success, a run that failed (diverged), a usage or input error, Ctrl-C.
OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130

#: The --optimizer option of every command that runs descent.
OPTIMIZER = typer.Option(
    help="gd, momentum, nesterov, adagrad, rmsprop, adam, adamw, lbfgs or cg (train: also "
    "auto, L-BFGS where it applies)."
)


class InputError(Exception):
    """A mistake in what the user typed or gave: reported on one line, exit status 2."""


def out() -> Console:
    """Standard output, for results; lines are never wrapped, so they can be read back, and
    square brackets in what the user typed are printed as they are, never read as styles."""
    return Console(highlight=False, soft_wrap=True, markup=False)


def err() -> Console:
    """Standard error, for messages and notes; never wrapped, so a message stays one line."""
    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def note(label: str, message: str, style: str = "yellow", console: Console | None = None):
    """``label: message`` with only the label styled (the message may hold user text, which
    is shown with its control characters escaped: see :func:`shown`)."""
    (console or err()).print(Text.assemble((f"{label}:", style), " ", shown(str(message))))


# Characters that steer a terminal or reorder the text around them, rather than show: the
# C0 and C1 controls with DEL, and the bidirectional overrides and isolates.
_CONTROLS = {
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
}
_ESCAPES = {
    code: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
        chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )
    for code in _CONTROLS
}


def shown(text: str) -> str:
    r"""``text`` safe to print on a terminal: control characters escaped as Python writes
    them (``"\x1b[2J"`` is shown as ``\x1b[2J``, a newline as ``\n``), everything else as
    it is. A file name or a cell from a data file could otherwise clear the screen, ring
    the bell or hide the rest of the message.

    Examples
    --------
    >>> shown("bad\x07name.csv: column '\x1b[2J'")
    "bad\\x07name.csv: column '\\x1b[2J'"
    """
    return text.translate(_ESCAPES)


def fail(message: str, code: int = USAGE):
    """Say what is wrong and exit with ``code``."""
    note("error", message, "red")
    raise typer.Exit(code)


@contextlib.contextmanager
def warnings_as_notes():
    """Show the warnings of the block as plain ``warning: …`` lines on standard error, not
    as Python's file-and-line warning text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            console, seen = err(), set()
            for warning in caught:
                text = str(warning.message)
                if text not in seen:
                    seen.add(text)
                    note("warning", text, console=console)


# The modules whose errors are the user's mistakes, and the name of each one's error class.
# They are looked up only among the modules already loaded: an error cannot come from a
# module the command never imported, and importing them up front would load scikit-learn
# (through the model files) and SymPy (through the formulas) for every command.
_INPUT_ERRORS = (
    ("descend.datafiles", "DataFileError"),
    ("descend.estimators.serialize", "ModelFileError"),
    ("descend.formula", "FormulaError"),
)


def _loaded_input_errors() -> tuple[type[Exception], ...]:
    """The error classes of :data:`_INPUT_ERRORS` whose modules are loaded."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in _INPUT_ERRORS)
    return tuple(kind for kind in found if kind is not None)


def guarded(command):
    """Turn the user's mistakes into one-line messages and exit status 2, never a
    traceback; Ctrl-C into exit status 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (InputError, *_loaded_input_errors()) as error:
            fail(str(error))
        except OSError as error:  # a file that cannot be written (read-only, disk full …)
            where = f" {error.filename}" if error.filename else ""
            fail(f"cannot write{where}: {error.strerror or error}")
        except KeyboardInterrupt:
            err().print("interrupted")
            raise typer.Exit(INTERRUPTED) from None

    return wrapper


def numbers(text: str | None, what: str) -> list[float] | None:
    """``"0.05,0.2, 0.5"`` as floats; None stays None."""
    if text is None:
        return None
    values = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{what}: {part!r} is not a number (in {text!r})") from None
        if not math.isfinite(value):
            raise InputError(f"{what}: {part!r} is not a finite number")
        values.append(value)
    return values


def writable(
    path: Path | None, what: str, suffixes: tuple[str, ...], sources: tuple = ()
) -> Path | None:
    """Check before any work that ``path`` can be written and has a suffix we write.

    Every command that writes a file checks its paths here, so the rules are the same
    everywhere: the suffix must be one of ``suffixes``; the path must not be a symbolic
    link (descend never writes through one, so whatever it points to, a file or a device,
    is never replaced), a folder, a named pipe, a device or a socket; its folder must exist
    and be writable; and it must not be one of the input files ``sources``. Writing itself
    is atomic (:func:`descend.datafiles.atomic_write`, :func:`save_figure`).
    """
    import stat

    from descend.datafiles import special_file

    if path is None:
        return None
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(
            f"{what} {str(path)!r}: the file name must end in " + " or ".join(suffixes)
        )
    try:
        mode = os.lstat(path).st_mode  # the path itself, not what a link points to
    except FileNotFoundError:
        mode = None
    except OSError as error:  # a path through a file, a name too long ...
        raise InputError(f"{what} {str(path)!r} cannot be written: {error.strerror}") from None
    if mode is not None and stat.S_ISLNK(mode):
        raise InputError(
            f"{what} {str(path)!r} is a symbolic link (to {os.readlink(path)!r}); descend does "
            "not write through links, so that what they point to is never replaced: give "
            "another file name"
        )
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"{what} {str(path)!r} is a folder; give a file name")
    kind = None if mode is None else special_file(mode)
    if kind is not None:
        raise InputError(
            f"{what} {str(path)!r} is {kind}, not a regular file; descend writes only to files"
        )
    if not path.parent.is_dir():
        raise InputError(f"{what} {str(path)!r}: there is no folder {str(path.parent)!r}")
    if not os.access(path.parent, os.W_OK):
        raise InputError(f"{what} {str(path)!r}: the folder {str(path.parent)!r} is not writable")
    for source in sources:
        if source is not None and path.resolve() == Path(source).resolve():
            raise InputError(f"{what} {str(path)!r} would overwrite the input file")
    return path


def to_json(value):
    """Plain JSON data: arrays to lists, NaN and infinities to null."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value) -> str:
    return json.dumps(to_json(value), indent=2, ensure_ascii=False, allow_nan=False)


def headless() -> None:
    """Draw without a display, whatever backend the environment would pick."""
    import matplotlib

    matplotlib.use("Agg", force=True)


def save_figure(fig, path: Path) -> None:
    """Write a figure complete or not at all (:func:`descend.datafiles.atomic_path`), then
    close it."""
    import matplotlib.pyplot as plt

    from descend.datafiles import atomic_path

    try:
        with atomic_path(path) as partial:
            fig.savefig(partial, format=path.suffix.lstrip(".").lower() or "png")
    finally:
        plt.close(fig)
