"""Built-in exporters, registered through the same hook as third-party plugins."""

from __future__ import annotations

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register


@hookimpl
def ded_register_exporters(register: Register) -> None:
    """Register the built-in exporters."""
    from ded_plugins.exporters.llamafactory import LlamaFactoryExporter

    register("llamafactory", LlamaFactoryExporter)
