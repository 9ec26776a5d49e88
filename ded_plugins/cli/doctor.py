"""``ded doctor``: versions, installed extras and what the start-up hooks touch."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(as_json: bool) -> None:
    """Versions, installed extras and what the start-up hooks touch."""
    from ded_plugins.integrations.status import doctor_report

    report = doctor_report()
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True, default=str))
        return
    click.echo(f"python {report['python']} on {report['platform']}")
    click.echo("versions:")
    for dist, version in report["versions"].items():
        click.echo(f"  {dist:<14} {version or '-'}")
    click.echo("extras: " + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in report["extras"].items()))
    click.echo(f"bubblewrap: {report['bubblewrap'] or 'not found (sandbox needs --allow-degraded)'}")
    click.echo("start-up hooks:")
    for key, value in report["autoload"].items():
        click.echo(f"  {key}: {value}")
    if report["llamafactory_hook"]:
        click.echo("LLaMA-Factory hook:")
        for key, value in report["llamafactory_hook"].items():
            click.echo(f"  {key}: {value}")
