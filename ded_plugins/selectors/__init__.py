"""Built-in selectors, registered through the same hook as third-party plugins.

Each is imported when registered, not when the plugin manager loads this module (``ded
--help`` loads it, and ``diversity`` brings numpy and rapidfuzz).
"""

from __future__ import annotations

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register


@hookimpl
def ded_register_selectors(register: Register) -> None:
    """Register the built-in selectors."""
    from ded_plugins.selectors.dedup import Dedup
    from ded_plugins.selectors.diversity import Diversity
    from ded_plugins.selectors.length_pick import Longest, Shortest
    from ded_plugins.selectors.mixture import Mixture
    from ded_plugins.selectors.pass_rate import PassRate

    register("pass_rate", PassRate)
    register("diversity", Diversity)
    register("mixture", Mixture)
    register("longest", Longest)
    register("shortest", Shortest)
    register("dedup", Dedup)
