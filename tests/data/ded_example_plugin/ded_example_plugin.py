"""A third-party plugin for ded-plugins: two processors, registered through the entry point."""

from __future__ import annotations

import time

from ded_plugins import Verdict, hookimpl


class Keyword:
    """Drop responses that contain a keyword (case-insensitive)."""

    def __init__(self, *, word: str) -> None:
        self.word = word.lower()

    def process(self, items):
        return [
            Verdict(passed=False, reason="has_keyword")
            if self.word in r.text.lower()
            else Verdict(passed=True)
            for _, r in items
        ]


class Slow:
    """Keep everything, slowly: sleeps per batch (used to kill a run mid-stage)."""

    def __init__(self, *, seconds: float = 0.5, batch_size: int = 4) -> None:
        self.seconds = seconds
        self.batch_size = batch_size

    def process(self, items):
        time.sleep(self.seconds)
        return [Verdict(passed=True, details={"slow": True}) for _ in items]


@hookimpl
def ded_register_processors(register):
    register("example.keyword", Keyword)
    register("example.slow", Slow)


@hookimpl
def ded_register_commands(cli):
    import click

    @cli.command(name="example-hello")
    @click.argument("name")
    def hello(name):
        """Greet NAME (a command added by a plugin)."""
        click.echo(f"hello, {name}")
