"""The register of household-registered elders and both cities' registrations."""
