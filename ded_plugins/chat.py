"""Think tags and the assistant turn: one definition for generation, curation, training and evals.

R1-style reasoning models write ``<think>...</think>`` and then the answer. Their chat
templates often open ``<think>`` in the prompt, so the sampled text starts inside the
block; servers with a reasoning parser return the thinking separately. Every part of
DED turns those into one assistant text the same way.
"""

from __future__ import annotations


__all__ = [
    "THINK_CLOSE",
    "THINK_OPEN",
    "assistant_text",
    "final_answer",
    "join_reasoning",
    "opened_think",
    "thinking",
]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def opened_think(rendered_prompt: str) -> str:
    """The opening think tag a template leaves at the end of the prompt (with its newline), or ``""``.

    Generation then starts inside the thinking block; putting this in front of the
    sampled text gives the whole assistant turn.
    """
    stripped = rendered_prompt.rstrip("\n")
    if stripped.endswith(THINK_OPEN):
        return THINK_OPEN + rendered_prompt[len(stripped) :]
    return ""


def assistant_text(text: str) -> str:
    """The assistant turn with its think block complete.

    A text that closes the block without opening it (the prompt opened it) gets the
    opening tag back: training on it verbatim would teach the student to skip the tag,
    and LLaMA-Factory's reasoning templates would not recognise the block.
    """
    if THINK_CLOSE in text and THINK_OPEN not in text.split(THINK_CLOSE, 1)[0]:
        return f"{THINK_OPEN}\n{text.lstrip(chr(10))}"
    return text


def join_reasoning(reasoning: str | None, content: str) -> str:
    """One assistant text from a server's separate ``reasoning_content`` and ``content``.

    The separators are those of the ``deepseekr1`` template (``<think>\\n...\\n</think>\\n\\n``).
    """
    if reasoning is not None:
        return f"{THINK_OPEN}\n{reasoning.strip()}\n{THINK_CLOSE}\n\n{content.lstrip()}"
    return assistant_text(content)


def final_answer(text: str, close_tag: str = THINK_CLOSE) -> str | None:
    """The text after the last ``close_tag``, stripped; ``None`` when the block never closes."""
    if close_tag not in text:
        return None
    return text.rsplit(close_tag, 1)[1].strip()


def thinking(text: str) -> str:
    """The text inside the think block (from the first opening to the last closing tag), else all of it."""
    start = text.find(THINK_OPEN)
    end = text.rfind(THINK_CLOSE)
    if start != -1 and end > start:
        return text[start + len(THINK_OPEN) : end]
    return text
