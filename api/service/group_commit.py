"""Job submissions written under the app's write lock; on SQLite, those waiting for it are
committed together (group commit).

SQLite has one writer, and each commit waits for the disk (an fsync of the write-ahead log,
0.3 to 3 ms on a small shared machine). With one commit per submission, a burst of submissions
queued on the write lock for one disk wait each: under 50 clients, most of a submission's
time. Here a submission waiting for the lock is written by whichever thread holds the lock
next, together with every other one waiting then: one transaction, one disk wait. Nothing is
promised less: each request answers only after its own job and its ``job.create`` audit row are
committed (same durability: the log is still synced at every commit), and a batch that fails
(two requests racing with one Idempotency-Key, say) is rolled back and written again one
submission per transaction, so that each request gets its own answer, as
:func:`sendplan.api.service.jobs.create_job` gives it.

PostgreSQL takes concurrent writers as they come: there, each submission commits on its own.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from sendplan.api.service.job_rows import insert_new_jobs, new_job_values, stored_job
from sendplan.api.service.jobs import create_job, existing_job
from sendplan.api.service.tables import JobRow


@dataclass
class _Submission:
    """One request's job: its arguments to create_job, its row, and what came of it."""

    arguments: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    outcome: tuple[JobRow, bool] | None = None
    error: Exception | None = None


class JobWriter:
    """Creates jobs as :func:`~sendplan.api.service.jobs.create_job` does, holding ``lock`` (the
    app's write lock) to write; with ``group_commit``, submissions waiting for the lock are
    written and committed together by the thread that holds it."""

    def __init__(self, lock: AbstractContextManager[object], *, group_commit: bool) -> None:
        self.lock = lock
        self.group_commit = group_commit
        self._waiting: list[_Submission] = []
        self._guard = threading.Lock()  # guards _waiting only; never held while writing

    def create_job(self, session: Session, **arguments: Any) -> tuple[JobRow, bool]:
        """``create_job(session, **arguments)``: (the job, whether it is new)."""
        if not self.group_commit:
            with self.lock:
                return create_job(session, **arguments)
        # What needs no lock first: the checks, the idempotency look-up, the new row's values.
        if (found := existing_job(session, **arguments)) is not None:
            return found
        submission = _Submission(arguments, new_job_values(**arguments))
        # End the read transaction: its connection goes back to the pool rather than being held
        # while this thread waits for the lock (the thread holding it writes in its own session).
        session.commit()
        with self._guard:
            self._waiting.append(submission)
        with self.lock:
            if submission.outcome is None and submission.error is None:
                with self._guard:
                    batch, self._waiting = self._waiting, []
                try:
                    self._write(session, batch, mine=submission)
                except BaseException as err:
                    # The other requests of the batch wait on this thread's answer: never leave
                    # one without (it would read as written when it was not).
                    for other in batch:
                        if other.outcome is None and other.error is None:
                            other.error = RuntimeError(f"job submission not written: {err!r}")
                    raise
        if submission.error is not None:
            raise submission.error
        assert submission.outcome is not None  # written by this thread or an earlier holder
        return submission.outcome

    def _write(self, session: Session, batch: list[_Submission], *, mine: _Submission) -> None:
        if len(batch) > 1:
            try:
                insert_new_jobs(session, [submission.values for submission in batch])
                session.commit()
            except Exception:  # one by one below: each request gets its own answer
                session.rollback()
            else:
                for submission in batch:
                    submission.outcome = (stored_job(submission.values), True)
                return
        for submission in batch:
            try:
                job, created = create_job(session, **submission.arguments)
            except Exception as err:
                submission.error = err
                continue
            if submission is not mine:
                session.expunge(job)  # the other request's thread reads it, not this session
            submission.outcome = (job, created)
