"""The ``ded`` command line: one thin module per command, each calling one public API function.

A command module defines ``command`` (a click command) and imports nothing heavy at
module level; its docstring's first line is the summary ``ded --help`` shows, written
once. Plugins add commands through the ``ded_register_commands`` hook. A
:class:`~ded_plugins.errors.DedError` is printed as one paragraph and exits with its
``exit_code`` (2 for bad input or config), never with a traceback.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from typing import Any

import click

from ded_plugins.errors import DedError, PluginError


__all__ = ["BUILTIN_COMMANDS", "cli", "main"]

#: the built-in commands, each ``ded_plugins.cli.<name>:command``
BUILTIN_COMMANDS: tuple[str, ...] = (
    "compare",
    "curate",
    "demo",
    "doctor",
    "grade",
    "plugins",
    "pool",
    "report",
    "rollout",
    "sandbox",
    "show",
    "teacher",
)


class _Group(click.Group):
    """Adds the built-in commands, then the plugins' ones, the first time a command is looked up."""

    _loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for name in BUILTIN_COMMANDS:
            module = importlib.import_module(f"ded_plugins.cli.{name}")
            command = module.command
            assert isinstance(command, click.Command)
            self.add_command(command, name)
        from ded_plugins.plugins import get_plugin_manager

        try:
            get_plugin_manager().hook.ded_register_commands(cli=self)
        except PluginError as exc:  # `ded doctor` must still run to say what is wrong
            click.echo(f"warning: plugin commands not loaded: {exc}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="ded-plugins")
def cli(verbose: int) -> None:
    """DED: data-efficient distillation of reasoning models."""
    level = logging.WARNING - 10 * verbose if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM ends ``ded`` as Ctrl-C does: worker pools and sandboxes are shut down on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return cli.main(args=argv, prog_name="ded", standalone_mode=False)
    except DedError as exc:
        click.echo(f"error: {exc}", err=True)
        if os.environ.get("DED_DEBUG"):
            raise
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
