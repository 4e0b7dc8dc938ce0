"""Alembic migrations of the service's schema, run by :func:`sendplan.api.service.db.migrate`."""
