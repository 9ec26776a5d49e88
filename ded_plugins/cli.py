"""The ``ded`` command line.

Sub-commands that pull in heavy code live in their own modules and are imported only
when used, so ``ded --help`` stays fast. A :class:`~ded_plugins.errors.DedError` is
printed as one paragraph and exits with its ``exit_code`` (2 for bad input or config),
never with a traceback.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

import click

from ded_plugins.errors import DedError


__all__ = ["main"]

#: sub-command name -> "module:attribute" of a click command, imported on first use
LAZY_COMMANDS: dict[str, str] = {
    "curate": "ded_plugins.commands.curate:curate",
    "plugins": "ded_plugins.commands.plugins:plugins",
    "doctor": "ded_plugins.commands.doctor:doctor",
    "sandbox": "ded_plugins.sandbox.cli:sandbox",
    "rollout": "ded_plugins.rollouts.cli:rollout",
    "teacher": "ded_plugins.teacher.cli:teacher",
    "demo": "ded_plugins.demo.run:demo",
}

#: one line per sub-command for ``ded --help`` without importing them
SUMMARIES: dict[str, str] = {
    "curate": "Run a curation config: verify, filter, compress, diversify, export.",
    "plugins": "List every registered component with its parameters.",
    "doctor": "Report versions, installed extras and what the start-up hooks touch.",
    "sandbox": "Run programs against tests in the isolated sandbox.",
    "rollout": "Sample responses from a model (vLLM, OpenAI-compatible, transformers).",
    "teacher": "Rank candidate teachers by a distillation smoke test.",
    "demo": "Run all of DED end to end on tiny local models.",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return _unavailable(cmd_name)
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(n, SUMMARIES.get(n, "")) for n in self.list_commands(ctx)])


def _unavailable(name: str) -> click.Command:
    @click.command(name=name, help=f"{SUMMARIES.get(name, '')} (not available in this build)")
    def command() -> None:
        raise click.ClickException(f"'ded {name}' is not available yet in this version of ded-plugins")

    return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="ded-plugins")
def cli(verbose: int) -> None:
    """DED: data-efficient distillation of reasoning models."""
    level = logging.WARNING - 10 * verbose if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
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
