"""Files and folders only the server's own user may read: the SQLite database (and its
``-wal``/``-shm``, which SQLite creates with the database file's mode), the generated secret,
the lock files, the mail folder.

They hold password hashes, token hashes and the signing secret, so they are created ``0600``
(folders ``0700``) whatever the umask: a umask only takes bits away, and an ``open``/``mkdir``
asking for these modes never gets more. A file or folder that already exists keeps the mode its
owner gave it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """``path`` and every missing parent, each created ``0700``."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        # FileExistsError: another process (a worker) made it in the meantime
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=FOLDER_MODE)


def private_file(path: Path) -> None:
    """Creates ``path`` empty with mode ``0600`` (and its folder ``0700``) unless it exists."""
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
