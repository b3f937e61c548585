"""job-matching: the human-resources (人社) domain of one city. Pure rules beside the areas:
``policy.py`` (weights, deadlines, working-day calendars per city), ``education.py`` (the
ordinal education scale), ``occupations.py`` (the 2022 occupation classification and its
hierarchy). Areas: ``postings`` (postings and fairs, shared), ``seekers`` (key-group seekers
and their consented profiles), ``matching`` (both directions, scored and explained),
``hotline`` (12333 requests between the cities) and ``personnel_files`` (人事档案);
``service.py`` declares it."""
