"""chengyu_ops."""
