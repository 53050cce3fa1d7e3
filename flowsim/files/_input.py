"""Reading an input file (private): regular files only, a size cap, UTF-8, strict JSON.

Both readers (scenario and trace files) read through :func:`read_json`: the file is opened
without blocking and refused at once unless it is a regular file (a FIFO, a device such as
``/dev/zero``, a directory or a terminal would hang or never end), read up to
:data:`MAX_INPUT_BYTES`, decoded as UTF-8 (a UTF-8 byte order mark is accepted) and parsed
as JSON with repeated keys marked, ``NaN``/``Infinity`` refused and every parser limit
(nesting depth, integer digits) turned into one :class:`~flowsim.ScenarioError` naming
the file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from typing import Any

from flowsim.errors import ScenarioError

from ._json import _bad_constant, _BadConstant, _object_pairs

MAX_INPUT_BYTES = 256 * 2**20
"""The largest scenario or trace file flowsim reads (256 MiB; a 180k-task trace is 50 MB)."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a file of ``mode`` is, in words (``"a directory"``, ``"a FIFO (named pipe)"``).

    >>> import stat
    >>> file_kind(stat.S_IFIFO), file_kind(stat.S_IFDIR)
    ('a FIFO (named pipe)', 'a directory')
    """
    return next((word for test, word in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str | os.PathLike[str], what: str) -> bytes:
    """The bytes of the regular file ``path``, at most :data:`MAX_INPUT_BYTES` of them."""
    where = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError(f"cannot read {what}: {reason}", where=where) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ScenarioError(f"cannot read {what}: {os.strerror(errno.EISDIR)}", where=where)
        if not stat.S_ISREG(mode):
            raise ScenarioError(
                f"cannot read {what}: it is {file_kind(mode)}, not a regular file; give the "
                f"path of a {what}",
                where=where,
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_INPUT_BYTES:
                raise ScenarioError(
                    f"cannot read {what}: larger than {MAX_INPUT_BYTES >> 20} MiB, the most "
                    "flowsim reads",
                    where=where,
                )
            chunks.append(chunk)
    except OSError as exc:
        raise ScenarioError(f"cannot read {what}: {exc.strerror or exc}", where=where) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def parse_json(raw: bytes | str, where: str, what: str) -> Any:
    """``raw`` decoded as UTF-8 (a byte order mark accepted) and parsed as strict JSON."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not a UTF-8 text file (byte {exc.start}: {exc.reason}); a {what} is JSON text",
            where=where,
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_bad_constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where
        ) from None
    except _BadConstant as exc:
        raise ScenarioError(
            f"not JSON: {exc} is not a JSON number; use a number or null", where=where
        ) from None
    except RecursionError:
        raise ScenarioError("not JSON flowsim can read: nested too deeply", where=where) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python allows
        raise ScenarioError(f"not JSON flowsim can read: {exc}", where=where) from None


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """The JSON value in the file ``path`` (a ``what``, e.g. ``"trace file"``), read as
    the module docstring says.

    Examples
    --------
    >>> read_json("/dev/null", "trace file")
    Traceback (most recent call last):
    ...
    flowsim.errors.ScenarioError: /dev/null: cannot read trace file: it is a character device, not a regular file; give the path of a trace file
    """  # noqa: E501
    return parse_json(read_bytes(path, what), os.fspath(path), what)
