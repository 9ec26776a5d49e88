"""``ded doctor``: versions, installed extras and what the start-up hooks touch."""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import shutil
import sys
from importlib import metadata
from typing import Any

import click


#: extra -> modules whose presence means it is installed
EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("llamafactory", "torch", "transformers"),
    "eval": ("lm_eval",),
    "hf": ("datasets", "pyarrow"),
    "vllm": ("vllm",),
    "ray": ("ray",),
    "analysis": ("matplotlib", "transformers"),
}

#: distributions whose versions matter for reproducing a run
VERSIONS = (
    "ded-plugins",
    "llamafactory",
    "lm-eval",
    "torch",
    "transformers",
    "datasets",
    "vllm",
    "ray",
    "rapidfuzz",
    "sympy",
)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _hooks() -> dict[str, Any]:
    """What the start-up autoload reports, if that part is installed."""
    try:
        integrations = importlib.import_module("ded_plugins.integrations")
        status = getattr(integrations, "autoload_status", None)
        return dict(status()) if callable(status) else {"available": False}
    except Exception as exc:  # doctor must report, not crash
        return {"error": repr(exc)}


def _llamafactory() -> dict[str, Any]:
    try:
        hook = importlib.import_module("ded_plugins.integrations.llamafactory_hook")
        describe = getattr(hook, "describe", None)
        return dict(describe()) if callable(describe) else {}
    except Exception as exc:
        return {"error": repr(exc)}


def collect() -> dict[str, Any]:
    """Everything ``ded doctor`` reports, as data."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {d: _version(d) for d in VERSIONS},
        "extras": {extra: all(_has(m) for m in mods) for extra, mods in EXTRAS.items()},
        "bubblewrap": shutil.which("bwrap"),
        "autoload": _hooks(),
        "llamafactory_hook": _llamafactory(),
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Report versions, installed extras and what the start-up hooks touch."""
    report = collect()
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
