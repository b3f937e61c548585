"""Matching: the postings of both cities for a seeker and the seekers for a posting — pure
scoring (``score.py``), the candidate cut in SQL (``store.py``), use cases and routes."""
