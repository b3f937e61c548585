"""The checkpointer: each city's signed, witnessed checkpoints of the event log."""
