"""Built-in processors, registered through the same hook as third-party plugins."""

from __future__ import annotations

from ded_plugins.hookspecs import hookimpl
from ded_plugins.processors.think_format import ThinkFormat
from ded_plugins.registry import Register


@hookimpl
def ded_register_processors(register: Register) -> None:
    """Register the built-in processors."""
    register("think_format", ThinkFormat)
    from ded_plugins.processors.math_correct import MathCorrect

    register("math_correct", MathCorrect)
    from ded_plugins.processors.length import LengthFilter

    register("length", LengthFilter)
    from ded_plugins.processors.llm_judge import LLMJudge

    register("llm_judge", LLMJudge)
    from ded_plugins.processors.code_correct import CodeCorrect

    register("code_correct", CodeCorrect)
    from ded_plugins.processors.decontaminate import Decontaminate

    register("decontaminate", Decontaminate)
