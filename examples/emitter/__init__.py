"""Example emitter: ``examples.emitter.slack:post_to_slack``."""
