"""The storage layer on both databases: migrations, one-time codes, atomic transactions."""

from __future__ import annotations

import pytest

from server.db.migrations import latest_version, migrate
from server.db.seam import open_database
from server.storage.core import Storage

pytestmark = pytest.mark.anyio


@pytest.fixture
async def storage(tmp_path, backend):
    url = backend.url or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Storage(open_database(url, schema=backend.schema))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_migrations_are_applied_once(storage):
    assert await migrate(storage.db) == []
    async with storage.read() as q:
        versions = await q.conn.fetchall("SELECT version FROM schema_migrations")
    assert [v[0] for v in versions] == list(range(1, latest_version() + 1))


async def test_a_code_is_taken_once_and_not_after_expiry(storage):
    async with storage.transaction() as q:
        await q.insert_code(b"h1", "member", "m1", 100, 200)
        await q.insert_code(b"h2", "member", "m2", 100, 200)
    async with storage.transaction() as q:
        assert await q.take_code(b"h1", "merchant", 150) is None  # wrong kind
        assert await q.take_code(b"h1", "member", 150) == "m1"
        assert await q.take_code(b"h1", "member", 151) is None
        assert await q.take_code(b"h2", "member", 200) is None  # expired


async def test_a_failed_transaction_leaves_nothing_behind(storage):
    with pytest.raises(RuntimeError):
        async with storage.transaction() as q:
            await q.insert_merchant("shop-1", "Shop", "BE71096123456769", None, 1)
            raise RuntimeError("boom")
    async with storage.read() as q:
        assert await q.merchant("shop-1") is None
        assert (await q.counts())["merchants"] == 0


async def test_trust_lists_are_kept_and_indexed_by_issue_time(storage):
    async with storage.transaction() as q:
        await q.insert_trust_list(1, 1000, 2000, "a", b"one")
        await q.insert_trust_list(2, 1500, 2500, "b", b"two")
    async with storage.read() as q:
        assert await q.trust_list_index() == [(1, 1000), (2, 1500)]
        assert bytes(await q.trust_list_body(1)) == b"one"
        assert (await q.latest_trust_list())["seq"] == 2


async def test_bulk_insert_and_update_keep_nulls_skip_conflicts_and_cross_chunks(storage):
    """The set-at-once statements reconciliation and intake rely on behave alike on both
    databases: NULLs kept, conflicts skipped, more values than one IN list holds."""
    from server.db.seam import IN_CHUNK

    table = "CREATE TABLE bulk (k {blob} PRIMARY KEY, t TEXT, n BIGINT, mark BIGINT)"
    async with storage.transaction() as q:
        await q.conn.execute(table.format(blob=storage.db.blob()))
        rows = [(i.to_bytes(4, "big"), None if i % 2 else f"é{i}", i, None) for i in range(1203)]
        sql = "INSERT INTO bulk (k, t, n, mark) {rows} ON CONFLICT DO NOTHING"
        types = ("bytea", "text", "bigint", "bigint")
        await q.conn.insert_many(sql, types, rows)
        await q.conn.insert_many(sql, types, [(b"\0\0\0\1", "again", -1, None)])  # conflict
        await q.conn.insert_many(sql, types, [])
        keys = [r[0] for r in rows[: IN_CHUNK * 2 + 7]]
        update = "UPDATE bulk SET mark = ? WHERE {in} AND mark IS NULL"
        await q.conn.execute_in(update, 7, column="k", values=keys, sql_type="bytea")
        await q.conn.execute_in(update, 8, column="k", values=keys, sql_type="bytea")  # no-op
        await q.conn.execute_in(update, 9, column="k", values=[], sql_type="bytea")
    async with storage.read() as q:
        got = await q.conn.fetchall("SELECT k, t, n, mark FROM bulk ORDER BY k")
    assert [(bytes(r[0]), r[1], r[2], r[3]) for r in got] == [
        (k, t, n, 7 if i < len(keys) else None) for i, (k, t, n, _) in enumerate(rows)
    ]


async def test_fetch_in_reads_across_chunks_after_its_arguments_and_repeats_each_in(storage):
    """``fetch_in`` on both databases: more values than one IN list holds, placeholders
    before the list, ``{in}`` twice in one statement, no values and no rows."""
    from server.db.seam import IN_CHUNK

    async with storage.transaction() as q:
        await q.conn.execute(f"CREATE TABLE pick (k {storage.db.blob()} PRIMARY KEY, n BIGINT)")
        rows = [(i.to_bytes(4, "big"), i) for i in range(IN_CHUNK * 2 + 7)]
        await q.conn.insert_many("INSERT INTO pick (k, n) {rows}", ("bytea", "bigint"), rows)
    wanted = rows[::2]
    keys = [k for k, _ in wanted] + [b"absent"]  # sorted: each chunk's ORDER BY is one order
    async with storage.read() as q:
        got = await q.conn.fetch_in(
            "SELECT k, n FROM pick WHERE n >= ? AND {in} ORDER BY k",
            3,
            column="k",
            values=keys,
            sql_type="bytea",
        )
        assert [(bytes(r[0]), r[1]) for r in got] == [(k, n) for k, n in wanted if n >= 3]
        twice = await q.conn.fetch_in(
            "SELECT n FROM pick WHERE n < ? AND {in} UNION ALL SELECT -n FROM pick WHERE {in}",
            5,
            column="k",
            values=keys[:4],
            sql_type="bytea",
        )
        assert sorted(r[0] for r in twice) == [-6, -4, -2, 0, 0, 2, 4]
        none = await q.conn.fetch_in(
            "SELECT n FROM pick WHERE {in}", column="k", values=[], sql_type="bytea"
        )
        assert none == []
