"""chengyu_contracts."""
