"""Where SQLite work runs (storage/db.py, storage/writer_lock.py): writers of every authgate
process queue on one lock file, and a read too slow for the event loop moves off it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlalchemy import Connection, text

from authgate.config.settings import DatabaseSettings
from authgate.storage.db import Database, create_db_engine
from authgate.storage.writer_lock import WriterLock


def _database(path: Path) -> Database:
    db = Database(create_db_engine(DatabaseSettings(client="sqlite3", filename=path)))
    db.write_sync(lambda conn: conn.execute(text("CREATE TABLE notes (body TEXT)")))
    return db


def _insert(conn: Connection, body: str) -> None:
    conn.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


def _bodies(db: Database) -> list[str]:
    rows = db.read_sync(lambda conn: conn.execute(text("SELECT body FROM notes ORDER BY rowid")))
    return [row[0] for row in rows]


def test_the_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    db = _database(tmp_path / "app.db")
    db.write_sync(_insert, "x")

    assert (tmp_path / "app.db-writer.lock").exists()
    assert WriterLock(tmp_path / "app.db").path == tmp_path / "app.db-writer.lock"


def test_a_write_waits_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    db = _database(tmp_path / "app.db")
    other_process = WriterLock(tmp_path / "app.db")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another process's writer: its own open file of the lock
        other_process.acquire()
        held.set()
        release.wait(10)
        other_process.release()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)

    async def scenario() -> tuple[bool, list[str]]:
        write = asyncio.ensure_future(db.write(_insert, "after the other"))
        done_while_held = (await asyncio.wait({write}, timeout=0.3))[0] != set()
        release.set()
        await asyncio.wait_for(write, 10)
        return done_while_held, _bodies(db)

    try:
        done_while_held, bodies = asyncio.run(scenario())
    finally:
        release.set()
        holder.join(10)
        asyncio.run(db.close())

    assert not done_while_held
    assert bodies == ["after the other"]


def test_writes_from_the_loop_and_threads_all_land(tmp_path: Path) -> None:
    db = _database(tmp_path / "app.db")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        threads = [loop.run_in_executor(None, db.write_sync, _insert, f"t{i}") for i in range(20)]
        inline = [db.write(_insert, f"l{i}") for i in range(20)]
        await asyncio.gather(*threads, *inline)

    asyncio.run(scenario())
    bodies = _bodies(db)
    asyncio.run(db.close())

    assert sorted(bodies) == sorted([f"t{i}" for i in range(20)] + [f"l{i}" for i in range(20)])


def test_a_read_too_slow_for_the_loop_moves_off_it_and_still_answers(tmp_path: Path) -> None:
    """A read past INLINE_READ_BUDGET is interrupted and run again on a reader thread: the
    event loop keeps serving other work meanwhile, and the answer is whole."""
    db = _database(tmp_path / "app.db")
    slow = text(  # about a second of pure SQLite work on this kind of machine, no table needed
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*), sum(i) FROM n"
    )

    async def scenario() -> tuple[tuple[int, int], int]:
        ticks = 0
        finished = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not finished.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        running = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        ticks = 0  # only what ran while the read did
        row = await db.read(lambda conn: tuple(conn.execute(slow).one()))
        during = ticks
        finished.set()
        await running
        return row, during

    (count, total), ticks_during = asyncio.run(scenario())
    quick = asyncio.run(db.read(lambda conn: conn.execute(text("SELECT 41 + 1")).scalar_one()))
    asyncio.run(db.close())

    assert (count, total) == (3_000_000, 3_000_000 * 3_000_001 // 2)
    assert ticks_during >= 3  # the loop ran other work while the read was on its thread
    assert quick == 42  # the loop's connection still works after the interruption


def _insert_titled(conn: Connection, body: str, *, title: str) -> str:
    _insert(conn, f"{title}: {body}")
    row = conn.execute(text("SELECT body FROM notes ORDER BY rowid DESC LIMIT 1")).one()
    return str(row[0])


def test_keyword_arguments_reach_the_work_in_reads_and_writes(tmp_path: Path) -> None:
    db = _database(tmp_path / "app.db")

    async def run() -> tuple[str, str]:
        written = await db.write(_insert_titled, "body", title="written")
        read = await db.read(_insert_titled, "body", title="read")
        return written, read

    # Keyword arguments were once accepted and silently dropped (a TypeError in the thread).
    assert asyncio.run(run()) == ("written: body", "read: body")
