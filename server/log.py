"""Structured logs: one JSON object per line on stderr.

Callers pass fields through ``extra=``; only whitelisted field names are
written, so a code, key, token or passphrase cannot slip into the logs by
accident.
"""

from __future__ import annotations

import json
import logging
import sys
import time

FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "seq",
    "reason",
    "merchant_id",
    "batch_id",
    "received",
    "duplicates",
    "rejected",
    "scans",
    "client",
    "error",
    "version",
    "database",
    "host",
    "port",
    "caisse",
)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name in FIELDS:
            if name in record.__dict__:
                out[name] = record.__dict__[name]
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    for name in ("ssa", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # AccessLog logs requests
