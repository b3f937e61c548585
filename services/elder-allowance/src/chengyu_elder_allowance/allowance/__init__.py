"""The allowance of one person in its paying city: grants, bands, verifications, monthly
payment runs, bank files, back pay and recovery claims."""
