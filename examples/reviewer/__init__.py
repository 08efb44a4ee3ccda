"""Example reviewer: ``examples.reviewer.policy:review``."""
