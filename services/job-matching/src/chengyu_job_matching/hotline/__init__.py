"""12333 requests forwarded between the cities (诉求互转): the pure state machine of a
forwarded request (:mod:`.request`), its deadline rules on the receiving city's calendar
(:mod:`.rules`), both cities' rows (:mod:`.store`), the use cases, routes, handlers and the
forwarding city's overdue sweep."""
