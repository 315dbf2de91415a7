"""The command line's one boundary with the library: errors, messages, threads.

- A :class:`~hetgat.errors.HetgatError` (or running out of memory) ends as one ``Error: ...``
  line on stderr and exit code 2 (:func:`user_errors`); ``--traceback`` or
  ``HETGAT_TRACEBACK=1`` re-raises it instead.
- The library names its own parameters (``num_parts``, `` `overwrite` ``); :func:`flag` shows
  the flag or argument the user typed instead (``--parts``, ``--overwrite``, ``OUT``), read
  from the running command's own options: one table, the commands themselves.
- Messages and progress go to stderr (:func:`messages`, :func:`info`); data to files or stdout.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import unicodedata

import click

#: Library parameter names whose CLI option is named otherwise.
ALIASES = {
    "model": "model_name",
    "num_parts": "parts",
    "normalize_features": "normalize",
    "resume": "resume_dir",
    "config": "config_file",
    "spec": "graph",
    "feat_drop": "dropout",
    "attn_drop": "dropout",
    "msg_drop": "dropout",
    "graph_name": "name",
}


class Group(click.Group):
    """A group whose usage errors are one ``Error:`` line (no usage dump), exit code 2."""

    def main(self, args=None, prog_name=None, **extra):
        # A terminated run unwinds like Ctrl-C, so half-built run folders are removed.
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            if traceback_wanted():
                raise
            click.echo(f"Error: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


def one_line(message: str) -> str:
    """``message`` with line breaks and other control characters escaped (file names and
    values may hold them), so that an error stays one line."""
    return "".join(
        repr(c)[1:-1] if c != "\t" and unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in message
    )


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def traceback_wanted() -> bool:
    return os.environ.get("HETGAT_TRACEBACK", "") not in ("", "0") or "--traceback" in sys.argv


def flag(name: str) -> str:
    """The flag (``--parts``) or argument (``OUT``) of the running command that sets the
    library parameter ``name``; ``--name-with-dashes`` when the command has none."""
    ctx = click.get_current_context(silent=True)
    wanted = ALIASES.get(name, name)
    for param in ctx.command.params if ctx is not None else ():
        if param.name == wanted:
            if isinstance(param, click.Argument):
                return param.human_readable_name
            longs = [o for o in param.opts if o.startswith("--")]
            return longs[0] if longs else param.opts[0]
    return "--" + name.replace("_", "-")


def user_message(exc) -> str:
    """A library error's message with the parameters it names shown as the user's flags."""
    from hetgat.errors import ConfigError, shown

    if isinstance(exc, ConfigError):
        text = f"{flag(exc.name)}: expected {exc.expected}, got {shown(exc.value)}"
    else:
        text = str(exc)
    for name in getattr(exc, "params", ()):
        text = text.replace(f"`{name}`", flag(name))
    return text


def user_errors(func):
    """Turn library errors into ``click.ClickException`` (exit code 2) at the CLI boundary."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from hetgat.errors import HetgatError

        try:
            return func(*args, **kwargs)
        except (HetgatError, MemoryError, RuntimeError, OSError) as exc:
            user_fixable = isinstance(exc, (HetgatError, OSError)) or _no_memory(exc)
            if traceback_wanted() or not user_fixable:
                raise
            if isinstance(exc, HetgatError):
                message = user_message(exc)
            elif isinstance(exc, OSError):
                message = os_message(exc)
            else:
                text = str(exc).strip()
                first = text.splitlines()[0] if text else "MemoryError"
                message = (
                    f"not enough memory for this model and graph ({first}); "
                    "try smaller --hidden, --heads, --layers or --embed-dim"
                )
            error = click.ClickException(message)
            error.exit_code = 2
            raise error from None

    return wrapper


def os_message(exc: OSError) -> str:
    """What the operating system refused, and where: ``FILE: No space left on device``."""
    where = exc.filename if exc.filename is not None else "output"
    text = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename2 is not None:
        where = f"{exc.filename} -> {exc.filename2}"
    return f"{where}: {text}"


def _no_memory(exc: BaseException) -> bool:
    """Whether torch ran out of memory, or sizes overflowed its storage size (huge options)."""
    text = str(exc)
    return isinstance(exc, MemoryError) or any(
        s in text for s in ("can't allocate memory", "out of memory", "size calculation overflow")
    )


def messages(quiet: bool) -> None:
    """Library notes (ignored columns, left-out meta-paths) to stderr unless ``quiet``."""
    logger = logging.getLogger("hetgat")
    logger.handlers[:] = []
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


def model_threads(threads: int | None = None) -> None:
    """Run this command's model on ``threads`` (default: as every command does, see
    :func:`hetgat.sparse.threads.default_threads`); the caller's counts come back after it."""
    from hetgat.sparse.threads import using_threads

    click.get_current_context().with_resource(using_threads(threads))


def given_options(ctx) -> set:
    """The options the user typed (not defaults)."""
    from click.core import ParameterSource

    return {
        name
        for name in ctx.params
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    }
