"""Capability assessments (老年人能力评估, GB/T 42195-2022) recognised by both cities."""
