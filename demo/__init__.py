"""``make demo``: the example DAGs run against the emulator (not shipped in the wheel)."""
