"""``ded plugins``: every registered component by kind, with parameters and description."""

from __future__ import annotations

import click


@click.command()
def command() -> None:
    """Every registered component with its parameters."""
    from ded_plugins.plugins import get_plugin_manager, get_registry
    from ded_plugins.registry import KINDS

    pm = get_plugin_manager()
    registry = get_registry(pm)
    for kind in KINDS:
        names = registry.names(kind)
        click.echo(f"{kind}s:")
        if not names:
            click.echo("  (none)")
        for name in names:
            component = registry.get(kind, name)
            origin = "" if component.plugin.startswith("ded_plugins.") else f"  [{component.plugin}]"
            click.echo(f"  {name}{origin}  {component.description}")
            params = component.signature_text()
            click.echo(f"      ({params})" if params else "      (no parameters)")
    click.echo("plugins loaded: " + ", ".join(sorted(name for name, _ in pm.list_name_plugin())))
