"""fund-transfer: provident-fund accounts, the cross-city transfer saga, mutual loan recognition.

The pure domain layer (value objects, per-city policy, the account aggregate, the transfer
saga, loan eligibility) does no I/O. The first I/O slice sits beside it: ``migrations``
and ``store`` (PostgreSQL), ``usecases`` (one transaction each) and ``api`` (the clerks'
HTTP routes) for accounts and deposits in one city.
"""
