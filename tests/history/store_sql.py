"""Counts taken straight from the store's tables, written apart from the report's own
queries, so that tests compare the report with the data and not with itself.

`seen` is each PC's newest result that reached it, up to :as_of (the "as last seen" view).
"""

OPEN_FAILURES = """
WITH seen AS (
  SELECT o.id FROM observations o WHERE o.reached = 1 AND o.at <= :as_of AND o.at = (
    SELECT max(p.at) FROM observations p WHERE p.host_id = o.host_id AND p.reached = 1
    AND p.at <= :as_of))
SELECT count(*) FROM findings WHERE counted = 1 AND observation_id IN (SELECT id FROM seen)
"""

CRITICAL = """
WITH seen AS (
  SELECT o.id FROM observations o WHERE o.reached = 1 AND o.at <= :as_of AND o.at = (
    SELECT max(p.at) FROM observations p WHERE p.host_id = o.host_id AND p.reached = 1
    AND p.at <= :as_of))
SELECT count(*) FROM findings WHERE counted = 1
  AND (severity = 'critical' OR check_id IN ('disk_encryption', 'antivirus'))
  AND observation_id IN (SELECT id FROM seen)
"""

WAIVERS_DUE = """
WITH seen AS (
  SELECT o.id FROM observations o WHERE o.reached = 1 AND o.at <= :as_of AND o.at = (
    SELECT max(p.at) FROM observations p WHERE p.host_id = o.host_id AND p.reached = 1
    AND p.at <= :as_of))
SELECT count(*) FROM findings f JOIN waivers w ON w.id = f.waiver_id
WHERE f.waiver_state = 'in_force'
  AND julianday(w.expires) - julianday(date(:as_of)) BETWEEN 0 AND 30
  AND f.observation_id IN (SELECT id FROM seen)
"""
