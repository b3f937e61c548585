"""insurance-years: medical-insurance contribution years recognised across cities
(医保缴费年限互认), the retirement city (医保退休认定地), and long-term-care assessments
recognised across cities (长护险互认).

Only the pure domain layer exists so far (value objects, per-city policy, contribution
periods and their corrections, the cross-city ledger, the retirement-city decision, care
recognition). It does no I/O: no database, no Kafka, no HTTP, no clock.
"""
