"""One router per resource: health, scenarios, jobs, results, audit, keys (and tokens)."""
