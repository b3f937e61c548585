"""fund-transfer: provident-fund accounts, the cross-city transfer saga, mutual loan recognition.

This package holds, for now, only the pure domain layer: value objects, per-city policy,
the account aggregate, the transfer saga and loan eligibility. Nothing here does I/O.
"""
