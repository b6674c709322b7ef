"""The keys of PostgreSQL's advisory locks, in one place: ``pg_advisory_xact_lock(key, id)``
serialises one kind of work for one row id (a worker, a user) until the transaction ends.
Two kinds sharing a key would wait on each other for nothing, so each has its own, and the
module refuses to load if two are the same."""

CLAIM = 7001  # workers.claims: one worker's claims
ATTEMPT = 7002  # tasks.services.qualifications: one worker's attempts at tests
SANCTION_WORKER = 7003  # workers.sanctions: one worker's ladder before sanctions
SANCTION_EMPLOYER = 7004  # workers.sanctions: one employer's ladder
GOLD_STOP = 7005  # tasks.lifecycle.gold: one worker's stops by check tasks

_KEYS = [CLAIM, ATTEMPT, SANCTION_WORKER, SANCTION_EMPLOYER, GOLD_STOP]
if len(set(_KEYS)) != len(_KEYS):
    raise ImportError("two kinds of advisory lock share a key")
