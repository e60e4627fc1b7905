"""One SQLite writer at a time across every authgate process on the host.

SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps
1, 2, 5 ... up to 100 ms between tries. With several server processes (``WORKERS``) most writes
found the lock taken and slept far longer than the write they waited for: two processes
refreshed fewer tokens per second than one. An ``flock`` on a file beside the database queues
the writers in the kernel instead, which wakes the next one the moment the lock is released.

The lock is advisory and only authgate takes it: SQLite's own lock (and its busy handler) still
protects the database from every other writer. The kernel releases it when a process dies.
Each thread uses its own open file (``flock`` locks belong to an open file), so the event
loop's connection and the writer thread of the same process exclude each other too.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class _OpenFile:
    """A thread's own open lock file, closed when the thread ends (its locals are freed)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def __del__(self) -> None:
        os.close(self.fd)


class WriterLock:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-writer.lock")
        self._local = threading.local()

    def _fd(self) -> int:
        opened: _OpenFile | None = getattr(self._local, "file", None)
        if opened is None:
            opened = self._local.file = _OpenFile(self.path)
        return opened.fd

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits (for the event loop)."""
        try:
            fcntl.flock(self._fd(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self) -> None:
        """Wait for the lock (a writer thread, never the loop). Its holder keeps it for one
        transaction at most, and the kernel frees it if the holder's process dies."""
        fcntl.flock(self._fd(), fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd(), fcntl.LOCK_UN)
