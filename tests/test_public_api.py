"""The public API is exactly ``__all__``, sorted, and every name in it exists."""

from __future__ import annotations

import ded_plugins


def test_all_is_sorted_and_complete() -> None:
    assert ded_plugins.__all__ == sorted(ded_plugins.__all__)
    public = {name for name in vars(ded_plugins) if not name.startswith("_")}
    submodules = {name for name, value in vars(ded_plugins).items() if type(value).__name__ == "module"}
    lazy = set(ded_plugins._LAZY)
    assert (public - submodules - {"annotations"}) | lazy == set(ded_plugins.__all__)
    for name in ded_plugins.__all__:
        assert getattr(ded_plugins, name) is not None
