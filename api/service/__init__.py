"""The HTTP service (`sendplan serve`): scenarios, durable solve jobs, roles and audit.

Storage (:mod:`.tables`, :mod:`.db`, migrations), the job state machine (:mod:`.jobs`), the
dispatcher that hands queued jobs to Dask (:mod:`.dispatch`) and the job runner executed in the
worker processes (:mod:`.runner`); the web app lives beside them.
"""
