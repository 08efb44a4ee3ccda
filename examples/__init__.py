"""Runnable examples: import them as ``examples.<role>.<module>:<name>``."""
