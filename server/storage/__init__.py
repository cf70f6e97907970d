"""The storage layer: every SQL statement of the server. ``core`` holds ``Storage``
and ``Queries`` (one connection, inside a read or a transaction); each query family
(``ledger``, ``console``, ``failures``) runs on the connection of a ``Queries``, and is
reached from it as ``q.ledger``, ``q.console``, ``q.failures``."""
