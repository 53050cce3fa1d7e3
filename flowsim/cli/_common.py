"""What every subcommand shares: reading a scenario argument and writing output files safely.

Outputs never destroy anything. :class:`Outputs` checks every output path of a command
together before the command runs (not empty, not a directory, not a file the command
reads, not named twice, not a non-regular file such as a device, a FIFO or a symlink to
one, in a folder that exists and is writable, a name the file system allows), then each
output is written to a temporary file in its target's folder and all are renamed over
their targets only when the command has succeeded. On any failure, including SIGINT and
SIGTERM (the CLI turns SIGTERM into an exception), the temporaries are removed and no
target has been touched. Temporary names are short (``.flowsim-XXXXXXXX.tmp``), whatever
the target's length. A symlink to a regular file is written through: its target is
replaced, the link kept.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from flowsim import examples
from flowsim.errors import ScenarioError, require
from flowsim.files import load_scenario
from flowsim.files._input import file_kind
from flowsim.model import Scenario


def picture_formats() -> dict[str, str]:
    """Every picture format matplotlib can write here: its file ending, its name.

    Raises :class:`~flowsim.errors.MissingDependencyError` without matplotlib.

    >>> formats = picture_formats()
    >>> formats["png"], formats["jpg"], formats["svg"]
    ('Portable Network Graphics', 'Joint Photographic Experts Group', 'Scalable Vector Graphics')
    """
    backend_bases = require("matplotlib.backend_bases", what="--plot", extra="plot")
    formats: dict[str, str] = backend_bases.FigureCanvasBase.get_supported_filetypes()
    return dict(sorted(formats.items()))


def picture_format(target: str, *, flag: str = "--plot") -> str:
    """The picture format named by ``target``'s ending, checked before anything runs.

    Any format of :func:`picture_formats`; ``pgf`` only where matplotlib's TeX system
    (``rcParams["pgf.texsystem"]``, xelatex by default) is installed, as it needs one.

    >>> picture_format("run.SVG"), picture_format("run.jpg"), picture_format("run.webp")
    ('svg', 'jpg', 'webp')
    >>> picture_format("run.gifx")
    Traceback (most recent call last):
    ...
    flowsim.errors.ScenarioError: run.gifx: --plot: cannot tell the picture format from ...
    """
    formats = picture_formats()
    fmt = Path(target).suffix.lower().removeprefix(".")
    if fmt not in formats:
        endings = ", ".join(f".{f}" for f in formats)
        raise ScenarioError(
            f"{flag}: cannot tell the picture format from the name; end it in one of "
            f"matplotlib's formats: {endings}",
            where=target,
        )
    if fmt == "pgf":
        import matplotlib

        tex = str(matplotlib.rcParams["pgf.texsystem"])
        if shutil.which(tex) is None:
            raise ScenarioError(
                f"{flag}: the pgf format needs {tex} (matplotlib's pgf.texsystem), which is "
                "not installed; install a TeX system or choose another format",
                where=target,
            )
    return fmt


def _exists(arg: str) -> bool:
    try:
        os.lstat(arg)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):  # a name too long, a NUL byte: let the reader say so
        pass
    return True


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word``, or ``""``.

    >>> did_you_mean("blueprnt", ["blueprint", "wide-graph"])
    "; did you mean 'blueprint'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def scenario_arg(arg: str) -> Scenario:
    """A scenario file, or a bundled example when no such file exists."""
    if not _exists(arg):
        if arg in examples.names():
            return examples.load(arg)
        raise ScenarioError(
            "no such scenario file, and no bundled example of that name (the examples "
            f"are: {', '.join(examples.names())}){did_you_mean(arg, examples.names())}",
            where=arg,
        )
    return load_scenario(arg)


def _same(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file (or would, once written)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)


def _said(flag: str, message: str) -> str:
    return f"{flag}: {message}" if flag else message


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Outputs:
    """The output files of one command, checked together, written whole at the end.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Outputs(inputs=[])
    ...     target = out.add("--trace-out", f"{d}/t.json", "trace file")
    ...     with out:
    ...         out.write(target, lambda tmp: tmp.write_text("{}"))
    ...     sorted(p.name for p in pathlib.Path(d).iterdir())
    ['t.json']
    """

    def __init__(self, inputs: Iterable[str | os.PathLike[str]]) -> None:
        self._inputs = [os.fspath(p) for p in inputs]
        self._targets: dict[str, tuple[str, str]] = {}  # target -> (flag, what)
        self._real: dict[str, str] = {}  # target -> the file written (a link's target)
        self._temps: dict[str, Path] = {}  # target -> its written temporary file

    def add(self, flag: str, target: str, what: str) -> str:
        """Check output ``target`` (given by ``flag``, a ``what``) and register it."""

        def refuse(reason: str) -> ScenarioError:
            return ScenarioError(f"cannot write {what}: {reason}", where=target)

        if not target.strip():
            raise ScenarioError(_said(flag, f"the {what}'s path is empty; give a file name"))
        if target.endswith(os.sep) or Path(target).name in ("", ".", ".."):
            raise refuse(f"{os.strerror(errno.EISDIR)}; give a file name")
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        except (OSError, ValueError) as exc:
            raise refuse(getattr(exc, "strerror", None) or str(exc)) from None
        real = target
        if info is not None and stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(target)
            try:
                info = os.stat(real)
            except OSError:
                raise refuse(
                    "it is a symbolic link to nothing (or a loop); flowsim writes through a "
                    "link only to a regular file"
                ) from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise refuse(os.strerror(errno.EISDIR))
        if info is not None and not stat.S_ISREG(info.st_mode):
            via = " (through a symbolic link)" if real != target else ""
            raise refuse(
                f"it is {file_kind(info.st_mode)}{via}, not a regular file; flowsim replaces "
                "only regular files (write to a file and copy it)"
            )
        for source in self._inputs:
            if _same(real, source):
                raise refuse(f"it is the input file {source}; flowsim never writes over its input")
        for other, (other_flag, _) in self._targets.items():
            if _same(real, self._real[other]):
                raise refuse(
                    f"{other_flag} writes the same file; give {flag or 'each output'} a file "
                    "of its own"
                )
        folder = os.path.dirname(real) or "."
        if not os.path.isdir(folder):
            raise refuse(os.strerror(errno.ENOENT))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise refuse(os.strerror(errno.EACCES))
        try:
            limit = os.pathconf(folder, "PC_NAME_MAX")
        except (OSError, ValueError):
            limit = 255
        size = len(os.fsencode(os.path.basename(real)))
        if size > limit:
            raise refuse(
                f"{os.strerror(errno.ENAMETOOLONG)} ({size} bytes; this file system allows "
                f"{limit})"
            )
        self._targets[target] = (flag, what)
        self._real[target] = real
        return target

    def write(self, target: str, write: Callable[[Path], object]) -> None:
        """Write registered ``target`` into a temporary file (renamed by :meth:`commit`)."""
        what = self._targets[target][1]
        real = self._real[target]
        try:
            fd, name = tempfile.mkstemp(
                prefix=".flowsim-", suffix=".tmp", dir=os.path.dirname(real) or "."
            )
            os.close(fd)
        except OSError as exc:
            raise ScenarioError(
                f"cannot write {what}: {exc.strerror or exc}", where=target
            ) from None
        self._temps[target] = Path(name)
        try:
            write(Path(name))
        except OSError as exc:
            raise ScenarioError(
                f"cannot write {what}: {exc.strerror or exc}", where=target
            ) from None

    def commit(self) -> None:
        """Rename every written temporary over its target."""
        mask = _umask()
        for target, tmp in list(self._temps.items()):
            real = self._real[target]
            try:
                mode = stat.S_IMODE(os.stat(real).st_mode)
            except OSError:
                mode = 0o666 & ~mask
            try:
                os.chmod(tmp, mode)
                os.replace(tmp, real)
            except OSError as exc:
                what = self._targets[target][1]
                raise ScenarioError(
                    f"cannot write {what}: {exc.strerror or exc}", where=target
                ) from None
            del self._temps[target]

    def discard(self) -> None:
        """Remove every temporary not yet renamed."""
        for tmp in self._temps.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        self._temps.clear()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            self.discard()


def write_file(
    target: str,
    what: str,
    write: Callable[[Path], object],
    *,
    flag: str = "",
    inputs: Iterable[str] = (),
) -> None:
    """Write ``target`` whole or not at all, as :class:`Outputs` does for one file.

    ``flag`` names the option that gave ``target`` in messages; ``inputs`` are the files
    the command read, which ``target`` must not be.
    """
    out = Outputs(inputs)
    out.add(flag, target, what)
    with out:
        out.write(target, write)
