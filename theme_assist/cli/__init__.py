"""The ``theme-assist`` command.

Each sub-command lives in its own module of this package and exposes ``register(app)``; the modules are found
by :func:`pkgutil.iter_modules`, so adding a command means adding a file. Command modules import heavy
libraries (torch, sentence-transformers, spaCy) inside the command function, so ``--help`` stays fast.

User mistakes (:class:`~theme_assist.errors.InputError`, bad options) print one line on stderr and exit 2.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import warnings

import click
import typer

from theme_assist.errors import InputError

try:  # typer >= 0.29 raises the exceptions of its own vendored copy of click
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover - older typer uses click itself
    _typer_click = click.exceptions
USAGE_ERRORS = (click.exceptions.UsageError, _typer_click.UsageError)
OTHER_CLICK_ERRORS = (click.exceptions.ClickException, _typer_click.ClickException)
ABORTS = (click.exceptions.Abort, typer.Abort)

app = typer.Typer(
    name="theme-assist",
    help="Machine-assisted qualitative coding: suggest codes with evidence, discover themes, measure agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(app)


_register_commands()


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2."""
    print(f"theme-assist: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"theme-assist: warning: {' '.join(str(message).split())}", file=sys.stderr)


class _OncePerMessage(logging.Filter):
    """Let each distinct message through once: a review server's background refits parse the project's codebook
    again at every fit, and would repeat its warnings for as long as the page is open. A record with an exception
    always passes (a failed fit's traceback says what failed this time)."""

    def __init__(self):
        super().__init__()
        self.said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            return True
        if message in self.said:
            return False
        self.said.add(message)
        return True


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command, turning user errors into one line and exit status 2, and warnings
    into one line each, each said once (libraries' deprecation notices are for developers, not shown), whether
    they come from :mod:`warnings` or from the package's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("theme-assist: warning: %(message)s"))
    handler.addFilter(_OncePerMessage())
    package_logger = logging.getLogger("theme_assist")
    package_logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            _run(argv)
    finally:
        package_logger.removeHandler(handler)


def _refuse_empty_values(args: list[str]) -> None:
    """Refuse an empty argument: typer reads ``--input ""`` (an unset shell variable) as the current folder."""
    for position, value in enumerate(args):
        option = value[:-1] if value.startswith("--") and value.endswith("=") else None
        if value == "" and position and args[position - 1].startswith("-"):
            option = args[position - 1]
        if value == "" or option:
            given = f" to {option}" if option else ""
            fail(f"an empty value was given{given} (an unset shell variable?): name the path or value, "
                 "or leave the option out")


def _run(argv: list[str] | None) -> None:
    _refuse_empty_values(sys.argv[1:] if argv is None else list(argv))
    try:
        code = app(args=argv, standalone_mode=False, prog_name="theme-assist")
    except InputError as exc:
        fail(str(exc))
    except USAGE_ERRORS as exc:
        if not exc.format_message():  # no arguments: the help text was shown
            raise SystemExit(2)
        command = exc.ctx.command_path.split(" ", 1)[-1] + " " if exc.ctx and " " in exc.ctx.command_path else ""
        fail(f"{exc.format_message()} (see theme-assist {command}--help)")
    except OTHER_CLICK_ERRORS as exc:
        fail(exc.format_message())
    except OSError as exc:  # an unwritable output, a full disk, a vanished file: the user's environment
        where = f" ({exc.filename})" if exc.filename else ""
        fail(f"{exc.strerror or exc}{where}")
    except ABORTS:
        print("theme-assist: aborted", file=sys.stderr)
        raise SystemExit(130)
    except KeyboardInterrupt:
        print("theme-assist: interrupted", file=sys.stderr)
        raise SystemExit(130)
    if code == 130:  # typer answers Ctrl+C in a command with 130 instead of the KeyboardInterrupt (no command does)
        print("theme-assist: interrupted", file=sys.stderr)
    raise SystemExit(code if isinstance(code, int) else 0)
