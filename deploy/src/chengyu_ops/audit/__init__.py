"""``chengyu audit``: replay the event log from offset 0 and verify it (records, order,
checkpoints, cross-city invariants), evidence bundles for a case or person, case traces."""
