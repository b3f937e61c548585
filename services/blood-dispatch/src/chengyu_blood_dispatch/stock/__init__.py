"""The stock area: this city's units and where each is, the other city's units as seen,
and DINs both centres hold in stock (conflicts)."""
