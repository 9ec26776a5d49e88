"""Hooks into LLaMA-Factory and lm-eval, installed lazily by the start-up autoload.

``__init__`` only re-exports; each hook lives in its own module.
"""

from __future__ import annotations

from ded_plugins.integrations.status import autoload_status


__all__ = ["autoload_status"]
