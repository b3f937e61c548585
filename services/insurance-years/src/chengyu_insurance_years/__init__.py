"""insurance-years: medical-insurance contribution years recognised across cities
(医保缴费年限互认), the retirement city (医保退休认定地), and long-term-care assessments
recognised across cities (长护险互认).

The domain (``spans``, ``policy``, ``periods``, ``ledger``, ``retirement``, ``review``,
``care``) is pure: no database, no Kafka, no HTTP, no clock. The I/O is at the edges:
``store``/``retirement_store``/``care_store`` (PostgreSQL), ``accrual``/``retirement_flow``/
``care_flow`` and ``handlers`` (the consumers), ``usecases`` and ``api`` (the clerks' HTTP
API), ``wire`` (domain values <-> event payloads), ``service`` (the declaration the kit
builds and runs: ``python -m chengyu_kit.run chengyu_insurance_years``). See README.md.
"""
