"""The data model, loaded once per cache epoch and shared by every request of a process."""

from __future__ import annotations

from threading import Lock

from sqlalchemy import Connection

from authgate.schema.overview import SchemaOverview, load_overview


class SchemaCache:
    def __init__(self) -> None:
        self._epoch: int | None = None
        self._overview: SchemaOverview | None = None
        self._lock = Lock()

    def overview(self, conn: Connection, epoch: int) -> SchemaOverview:
        with self._lock:
            if self._overview is not None and self._epoch == epoch:
                return self._overview
        loaded = load_overview(conn)
        with self._lock:
            self._overview, self._epoch = loaded, epoch
        return loaded
