"""LLaMA-Factory integration: the start-up hook and the dataset converter it calls."""
