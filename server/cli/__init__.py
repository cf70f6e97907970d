"""The command lines: ``ssa-server`` (``serve``), ``ssa-admin`` (``admin``, with its
ledger verbs in ``admin_ledger`` and console accounts in ``users``) and the demo caisse."""
