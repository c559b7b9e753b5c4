"""Data files readable by their owner only: the database, its WAL and shared-memory
files, the secret key, the Maildir (docs/operations.md, "File modes").

How, and why this way rather than with the process umask:

- The data folder, when Rendezvous creates it (`var/` by default), is made 0700. A
  folder that already exists is left as the operator made it.
- The SQLite database is created by us, empty and 0600, before SQLite opens it (an
  empty file is a valid empty database). SQLite creates the `-wal` and `-shm` files
  later, at the first write, and gives them the mode of the database file: they are
  0600 too, with no chmod after the fact and no window in which they are readable.
- A database made by an earlier version (0644) is tightened at open: the database,
  and its `-wal`, `-shm` and `-journal` files if present, lose their group and other
  bits.
- Changing the umask instead would be process-wide: worker threads (SQLite's,
  aiosqlite's, the delivery worker's) create files at the same time, and a umask set
  around one `connect` would leak into them, or theirs into it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

#: Files of the database that SQLite creates beside it.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> None:
    """Create `path` (and its missing parents) if needed, the last one 0700; an existing
    folder keeps its mode."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)


def tighten(path: Path) -> None:
    """Remove the group and other bits of an existing file (nothing if it is missing)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def private_database(path: Path) -> None:
    """Before SQLite opens `path`: its folder exists (0700 if created here), the file
    exists and is 0600, and so are the companions SQLite made before."""
    private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        tighten(path)
    for suffix in SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix))


__all__ = ["SQLITE_COMPANIONS", "private_database", "private_directory", "tighten"]
