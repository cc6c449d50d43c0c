-- The duplicate look-up (storage/screening.py, duplicate_candidates) asks for one title key,
-- which screening gives a job. Indexing only the jobs that have one keeps an index insert per
-- new job off the ingest path; the entry is made once, when screening sets the key, instead
-- of made at ingest and moved at screening (bench/README.md, "Fewer index writes per job").
DROP INDEX requests_duplicates;
CREATE INDEX requests_duplicates ON requests (employer_id, title_key)
    WHERE kind = 'job' AND title_key IS NOT NULL;
