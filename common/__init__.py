"""Helpers every app imports: safe CSV cells, the API's error bodies, bounded JSON parsing, the
upload size limit, pagination, read-only admin, the sign-in throttle's keys. They know no app,
so ``config`` stays wiring only (docs/architecture.md)."""
