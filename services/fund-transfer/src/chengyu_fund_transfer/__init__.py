"""fund-transfer: provident-fund accounts, the cross-city transfer saga, mutual loan recognition.

The pure domain layer (``money``, ``policy``, ``account``, ``transfer``, ``eligibility``)
does no I/O. Around it: ``store`` and ``transfer_store`` (PostgreSQL, tables in
``migrations/``), ``usecases`` (each ``(command, unit)`` in the caller's unit of work),
``api`` (the clerks' HTTP routes), ``saga`` and ``handlers`` (this city's steps of the
transfer saga, one declared handler per event), ``sweep`` (overdue escalation), and
``service`` (the declaration the kit runs: ``python -m chengyu_kit.run
chengyu_fund_transfer``).
"""
