"""The dashboard area: ``GET /stock`` (both cities' stock and levels per product and
group, JSON) and ``GET /dashboard`` (the duty officer's page, refreshed in place)."""
