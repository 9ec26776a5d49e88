"""Built-in selectors, registered through the same hook as third-party plugins."""

from __future__ import annotations

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register
from ded_plugins.selectors.dedup import Dedup
from ded_plugins.selectors.diversity import Diversity
from ded_plugins.selectors.length_pick import Longest, Shortest
from ded_plugins.selectors.mixture import Mixture
from ded_plugins.selectors.pass_rate import PassRate


@hookimpl
def ded_register_selectors(register: Register) -> None:
    """Register the built-in selectors."""
    register("pass_rate", PassRate)
    register("diversity", Diversity)
    register("mixture", Mixture)
    register("longest", Longest)
    register("shortest", Shortest)
    register("dedup", Dedup)
