"""chengyu_kit."""
