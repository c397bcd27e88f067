"""SQLite's write-ahead log copied into the database file in the background, not inside an answer.

Left to itself, SQLite checkpoints inside the commit that grows the log past 1000 pages: the
answers in that commit wait for it (up to 80 ms measured here, with an fsync or two). This thread
checkpoints every second instead, and the engine leaves SQLite's own only as a safety valve for a
log that grows faster than that (engine.WAL_SAFETY_CHECKPOINT_PAGES). A PASSIVE checkpoint never
blocks writers or readers; what it cannot copy yet waits for the next.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

CHECKPOINT_SECONDS = 1.0


class WalCheckpointer:
    """A daemon thread checkpointing the SQLite file `path` every CHECKPOINT_SECONDS until stop()."""

    def __init__(self, path: Path):
        self._uri = f"{Path(path).resolve().as_uri()}?mode=rw"  # never creates a file that went away
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drawings-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(CHECKPOINT_SECONDS):
            try:
                # Its own connection, outside the pool: a checkpoint runs outside any transaction.
                connection = sqlite3.connect(self._uri, uri=True, timeout=0, isolation_level=None)
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    connection.close()
            except sqlite3.Error:
                pass  # busy, or the file is gone: the next round tries again; answers are unaffected

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
