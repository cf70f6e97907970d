"""The money: batch ``intake``, SPEC §6 ``detection``, the nightly ``reconcile`` and
its ``findings``, SEPA payouts (``sepa``), shop ``statements`` and monthly ``reports``."""
