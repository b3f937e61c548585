"""blood-dispatch: the blood domain of one city. Pure rules in ``case.py`` and ``policy.py``;
SQL in ``store.py``; use cases, handlers and routes at the edges; ``service.py`` declares it."""
