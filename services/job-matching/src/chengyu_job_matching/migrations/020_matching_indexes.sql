-- Matching's candidate cut (matching/store.py): open postings related by occupation, a skill
-- or a word, and active seekers related by occupation, a skill or an interest, found by
-- index rather than by reading every row.
CREATE INDEX posting_open_skills ON posting USING gin (skills) WHERE state = 'open';
CREATE INDEX posting_open_terms ON posting USING gin (terms) WHERE state = 'open';
CREATE INDEX seeker_profile_occupations ON seeker_profile USING gin (occupation_codes) WHERE active;
CREATE INDEX seeker_profile_skills ON seeker_profile USING gin (skills) WHERE active;
CREATE INDEX seeker_profile_interests ON seeker_profile USING gin (interests) WHERE active;
