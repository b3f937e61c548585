"""The dispatch saga between the two cities' blood centres: requests (a clerk's, or a
stock-low), offers answered automatically from this city's spare stock, acceptance,
dispatch unit by unit with a temperature logger, receipt, cancellation and escalation."""
