"""Errors, strict JSON reading and atomic writes shared by the tools.

Conventions (the same as cimsim's): bad input is one line naming the file, the JSON path (or
line and column), the value found and what was expected, and exits with 2; output files are
written to a temporary file in the same directory and renamed, so no reader ever sees half a
file.
"""
import json
import math
import os
import re
import sys
import tempfile

EXIT_OK = 0
EXIT_FAILED_POINTS = 1
EXIT_BAD_INPUT = 2
EXIT_BACKEND = 3
EXIT_INTERRUPTED = 130


class InputError(Exception):
    """Bad input: a one-line message, exit code 2."""


class BackendError(Exception):
    """The environment let us down (Slurm refused a job, a wait timed out): exit code 3."""


def one_line(text, limit=400):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value):
    """A JSON value as an error message shows it: strings quoted, containers abbreviated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        text = json.dumps(value)
        return text if len(text) <= 60 else "an array of %d values" % len(value)
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + '..."'


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def join_path(path, key):
    """JSON path for messages: a.b[2]; keys that are not plain words are quoted:
    grid["machine.x"]."""
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    if _PLAIN_KEY.match(key):
        return key if not path else path + "." + key
    return '%s[%s]' % (path, json.dumps(key))


class StrictObject(dict):
    """A JSON object that remembers keys given twice (json keeps the last silently)."""

    duplicates = ()


def _pairs_hook(pairs):
    obj = StrictObject()
    dups = []
    for key, value in pairs:
        if key in obj:
            dups.append(key)
        obj[key] = value
    if dups:
        obj.duplicates = tuple(dups)
    return obj


def _reject_constant(name):
    raise ValueError("non-finite number %s is not JSON" % name)


def load_json_strict(path, what="file", expected=None):
    """Parses a JSON file; syntax errors name FILE:LINE:COLUMN, and end with "; expected
    <expected>" when given. Duplicate keys are reported by check_duplicates(), which knows the
    JSON path."""
    hint = "; expected %s" % expected if expected else ""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise InputError("%s: %s not found%s" % (path, what, hint)) from None
    except IsADirectoryError:
        raise InputError("%s: expected a %s, got a directory" % (path, what)) from None
    except OSError as e:
        raise InputError("%s: cannot read %s: %s" % (path, what, e.strerror)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("%s: not UTF-8 text (byte %d)%s" % (path, e.start, hint)) from None
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise InputError("%s:%d:%d: invalid JSON: %s%s"
                         % (path, e.lineno, e.colno, e.msg, hint)) from None
    except ValueError as e:
        raise InputError("%s: invalid JSON: %s%s" % (path, e, hint)) from None
    except RecursionError:
        raise InputError("%s: invalid JSON: nested too deeply%s" % (path, hint)) from None


def check_duplicates(node, path, where):
    """Raises InputError for the first key given twice in any object under node."""
    if isinstance(node, dict):
        for key in getattr(node, "duplicates", ()):
            raise InputError("%s: %s: key given twice" % (where, join_path(path, key)))
        for key, value in node.items():
            check_duplicates(value, join_path(path, key), where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_duplicates(value, join_path(path, i), where)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def atomic_write(path, data, mode=0o644):
    """Writes bytes or text to path via a temporary file in the same directory + rename."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        # A device or pipe (/dev/null, a FIFO): written in place, as replacing it by a rename
        # would replace the device node itself.
        with open(path, "wb") as f:
            f.write(data)
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_json(path, value):
    atomic_write(path, json.dumps(value, indent=1, sort_keys=False) + "\n")


def fail(tool, message, code):
    print("%s: error: %s" % (tool, one_line(message, 2000)), file=sys.stderr)
    return code
