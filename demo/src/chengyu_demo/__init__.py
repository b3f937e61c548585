"""chengyu_demo: seeded workloads driven through both cities' services (``chengyu-demo``)."""
