"""Applications accepted in either city (异地受理), decided by the paying city."""
