#!/usr/bin/env python3
"""Fills a Portcullis SQLite database to the sizes of issue 14's scale targets, for
scripts/bench_scale.sh. The server must be stopped; the database migrated, with an
administrator, at least one client and at least one `token.issued` audit event (the
script copies real rows where it can, so the copies look like what the server writes).

    seed_scale.py <database file>

Adds, in one transaction each (sizes from the environment, these the defaults):
  DEVELOPERS=1000    developer accounts (`scale-dev-N`, no password)
  CLIENTS=10000      clients, copies of the newest client, each owned by a developer
                     (ten each with the defaults); their name skeletons are left for
                     the server to fill at start-up
  REQUESTS=100000    change requests over those clients: the first 1,000 pending (one
                     per client), the rest decided (a third rejected)
  EVENTS=10000000    `token.issued` audit events by those clients over 120 days,
                     copies of the newest real one, continuing the chain's numbering
                     (their hashes are placeholders: `portcullis audit verify` fails on
                     a seeded database, which is for measuring only)
  TOKENS=10000000    live refresh tokens of those clients and developers
Prints what it added and how long each took. Standard library only.
"""
import os
import sqlite3
import sys
import time

DAY = 86_400


def count(name, default):
    return int(os.environ.get(name, default))


def main():
    (path,) = sys.argv[1:]
    developers = count("DEVELOPERS", 1000)
    clients = count("CLIENTS", 10_000)
    requests = count("REQUESTS", 100_000)
    events = count("EVENTS", 10_000_000)
    tokens = count("TOKENS", 10_000_000)
    con = sqlite3.connect(path, isolation_level=None)
    # A benchmark's database: speed over durability while filling it.
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    now = int(time.time())

    def columns(table):
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]

    def numbers(n):
        return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "

    def step(what, n, sql):
        started = time.monotonic()
        con.execute("BEGIN")
        con.execute(sql)
        con.execute("COMMIT")
        print(f"seed_scale: {n:,} {what} in {time.monotonic() - started:.1f} s", file=sys.stderr)

    def copies(table, template, n, changed):
        """INSERT n copies of the row `template` selects, with `changed` columns
        replaced by SQL expressions of `n.i` (1..n)."""
        cols = columns(table)
        values = ", ".join(changed.get(c, f"t.{c}") for c in cols)
        return (f"{numbers(n)}INSERT INTO {table} ({', '.join(cols)}) "
                f"SELECT {values} FROM n, ({template}) AS t")

    dev = "'scale-dev-' || ((i - 1) % {d} + 1)".format(d=developers)
    client = "'scale-client-' || ((i - 1) % {c} + 1)".format(c=clients)
    # The developer who owns client number k: the same arithmetic as the clients'.
    owner_of_client = "'scale-dev-' || (((i - 1) % {c}) % {d} + 1)".format(c=clients, d=developers)

    step("developers", developers, copies("users", "SELECT * FROM users WHERE role = 'admin' LIMIT 1", developers, {
        "id": "'scale-dev-' || i",
        "username": "'scaledev' || i",
        "email": "'scaledev' || i || '@example.edu'",
        "display_name": "'Scale developer ' || i",
        "role": "'developer'",
        "password_hash": "NULL",
        "created_at": f"{now} - i * 3600",
        "updated_at": f"{now} - i * 3600",
    }))
    step("clients", clients, copies("clients", "SELECT * FROM clients ORDER BY created_at DESC LIMIT 1", clients, {
        "id": "'scale-client-' || i",
        "name": "'Scale app ' || i",
        # Computed by the server at start-up (domain::platform::lookalike), as for
        # clients from before m0049.
        "name_skeleton": "NULL",
        "owner_id": dev,
        "created_at": f"{now} - i * 600",
        "updated_at": f"{now} - i * 600",
    }))
    admin = "(SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1)"
    step("change requests", requests, numbers(requests) + f"""
        INSERT INTO change_requests (id, client_id, requester_id, kind, status, payload,
            justification, created_at, decided_at, decider_kind, decider_id, reason, granted)
        SELECT 'scale-request-' || i, {client}, {owner_of_client}, 'scopes',
            CASE WHEN i <= 1000 THEN 'pending' WHEN i % 3 = 0 THEN 'rejected' ELSE 'approved' END,
            '{{"ask":{{"kind":"scopes","scopes":["profile"]}},"evaluations":[]}}',
            'Our reporting feature shows each person their own profile.',
            {now} - i * 60,
            CASE WHEN i <= 1000 THEN NULL ELSE {now} - i * 60 + 3600 END,
            CASE WHEN i <= 1000 THEN NULL ELSE 'user' END,
            CASE WHEN i <= 1000 THEN NULL ELSE {admin} END,
            CASE WHEN i % 3 = 0 AND i > 1000 THEN 'Not for this client.' ELSE NULL END,
            NULL
        FROM n""")
    last_seq = con.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    span = 120 * DAY
    step("token.issued audit events", events, copies(
        "audit_events",
        "SELECT * FROM audit_events WHERE event_type = 'token.issued' ORDER BY id DESC LIMIT 1",
        events,
        {
            "id": "NULL",
            "occurred_at": f"{now - span} + i * {span} / {events}",
            "actor_id": client,
            # The copied event names its own client as target and in its data.
            "target_id": f"CASE WHEN t.target_kind = 'client' THEN {client} ELSE t.target_id END",
            "data": f"replace(t.data, t.actor_id, {client})",
            "data_client": f"CASE WHEN t.data_client IS NULL THEN NULL ELSE {client} END",
            "seq": f"{last_seq} + i",
            "prev_hash": f"printf('%064x', {last_seq} + i - 1)",
            "hash": f"printf('%064x', {last_seq} + i)",
        }))
    step("refresh tokens", tokens, numbers(tokens) + f"""
        INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, grant_id, scopes,
            auth_time, created_at, expires_at)
        SELECT printf('%064x', i), 'scale-family-' || i, {client}, {dev}, 'scale-grant-' || i,
            'openid', {now} - 3600, {now} - i % {30 * DAY}, {now} + {30 * DAY}
        FROM n""")
    started = time.monotonic()
    # No ANALYZE: the server never runs it, so its plans are measured as they are.
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"seed_scale: checkpoint in {time.monotonic() - started:.1f} s", file=sys.stderr)
    con.close()


if __name__ == "__main__":
    main()
