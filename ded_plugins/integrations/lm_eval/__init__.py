"""lm-eval integration: the task-folder hook, the ded_* task classes and metrics, and
LiveCodeBench data and scoring (the sandbox runs the programs)."""
