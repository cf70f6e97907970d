"""keys — the SSA1 protocol core shared by the server, the scanner and the tools.

Pure: no I/O but the key files in ``keys.keystore``, no clock reads (callers pass
``now``). See docs/protocol.md for the protocol in plain words.
"""
