"""blood-dispatch: the blood domain of one city. Pure rules: ``blood_groups.py`` (products
and groups), ``din.py`` (ISBT 128 DINs), ``unit.py`` (a unit's one place and the stock),
``levels.py`` (days of supply and levels), ``compatibility.py``, ``offers.py``,
``dispatch.py`` (the saga of a request), ``rare_donors.py``, ``policy.py``; and the
scaffold's example ``case.py``. SQL in ``store.py``; use cases, handlers and routes at the
edges; ``service.py`` declares it."""
