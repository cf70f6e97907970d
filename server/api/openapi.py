"""The hand-written OpenAPI 3 description of HTTP API v1 (SPEC §8), served as JSON.

Written by hand so it says what the contract promises, not what a framework
infers; tests check that every documented path answers and that bodies fuzzed
against it get a clear 4xx.
"""

from __future__ import annotations

from typing import Any

B64URL = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "description": "base64url, no padding"}
KEY = {**B64URL, "description": "Ed25519 public key, 32 bytes, base64url without padding"}
CODE = {"type": "string", "maxLength": 64, "description": "one-time code, e.g. ABCD-EFGH-..."}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


COMMON_ERRORS = {
    "400": _error("invalid JSON or fields (INVALID_JSON, INVALID_REQUEST, INVALID_CODE)"),
    "413": _error("body or batch too large (PAYLOAD_TOO_LARGE, BATCH_TOO_LARGE)"),
}
SIGNED_ERRORS = {
    "401": _error("missing, stale or bad signature (UNAUTHORIZED), unknown key (UNKNOWN_KEY)"),
    "403": _error("key of the other role (FORBIDDEN), revoked (KEY_REVOKED), suspended shop"),
}
CODE_ERRORS = {
    "403": _error("member revoked or merchant suspended"),
    "409": _error("this public key is already enrolled (KEY_IN_USE)"),
    "429": _error("too many wrong codes (RATE_LIMITED); see Retry-After"),
}


def openapi_document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ssa-vouchers caisse API",
            "version": "1",
            "description": (
                "HTTP API v1 of a caisse server (SPEC §8). Binary values are base64url "
                "without padding. Errors are {error, message} with a 4xx status. Signed "
                "requests carry `Authorization: SSA1-Sig key=<b64url>, ts=<epoch>, "
                "sig=<b64url>`, an Ed25519 signature over `METHOD\\nPATH\\nts\\n"
                "hex(sha256(body))` (PATH with its query string), refused when "
                "|now - ts| > 300 s."
            ),
        },
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {
                "SSA1Sig": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "SSA1-Sig key=..., ts=..., sig=... (see info)",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "CodeRequest": {
                    "type": "object",
                    "required": ["code", "public_key"],
                    "properties": {"code": CODE, "public_key": KEY},
                },
                "Scan": {
                    "type": "object",
                    "required": ["qr", "scanned_at"],
                    "properties": {
                        "qr": {"type": "string", "maxLength": 8192, "description": "SSA1:..."},
                        "scanned_at": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "epoch seconds at the till",
                        },
                        "result": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "the scanner's verdict (kept, never trusted)",
                        },
                        "trust_list_seq": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 2**63 - 1,
                            "description": "seq of the trust list the till judged the scan "
                            "with (SSA1 1.1, SPEC §8; optional for older tills)",
                        },
                    },
                },
                "Batch": {
                    "type": "object",
                    "required": ["batch_id", "scans"],
                    "properties": {
                        "batch_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
                        "scans": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Scan"},
                            "maxItems": 1000,
                        },
                    },
                },
            },
        },
        "paths": {
            "/api/v1/trust-list": {
                "get": {
                    "summary": "The current signed trust list (COSE_Sign1 by the root key)",
                    "parameters": [
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the list; ETag names its seq",
                            "content": {
                                "application/cose": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        },
                        "304": {"description": "unchanged since the ETag given"},
                    },
                }
            },
            "/api/v1/wallet/activate": {
                "post": {
                    "summary": "Activate a wallet with a one-time code; the code is spent",
                    "requestBody": _body({"$ref": "#/components/schemas/CodeRequest"}),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["credential"],
                                "properties": {
                                    "credential": {
                                        **B64URL,
                                        "description": "COSE credential, current month",
                                    },
                                    "credentials": {
                                        "type": "array",
                                        "items": B64URL,
                                        "description": "current month, then next once issued",
                                    },
                                },
                            }
                        ),
                        **COMMON_ERRORS,
                        **CODE_ERRORS,
                    },
                }
            },
            "/api/v1/wallet/credential": {
                "get": {
                    "summary": "A member's credentials: this month, next month near its end",
                    "security": [{"SSA1Sig": []}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["credentials"],
                                "properties": {"credentials": {"type": "array", "items": B64URL}},
                            }
                        ),
                        **SIGNED_ERRORS,
                    },
                }
            },
            "/api/v1/merchant/enroll": {
                "post": {
                    "summary": "Enrol a scanner key with a one-time code; the code is spent",
                    "requestBody": _body({"$ref": "#/components/schemas/CodeRequest"}),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["merchant_id", "root_public_key", "trust_list"],
                                "properties": {
                                    "merchant_id": {"type": "string"},
                                    "root_public_key": KEY,
                                    "trust_list": {**B64URL, "description": "COSE trust list"},
                                },
                            }
                        ),
                        **COMMON_ERRORS,
                        **CODE_ERRORS,
                    },
                }
            },
            "/api/v1/merchant/batches": {
                "post": {
                    "summary": "Upload scans; every token is re-verified; idempotent",
                    "security": [{"SSA1Sig": []}],
                    "requestBody": _body({"$ref": "#/components/schemas/Batch"}),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["batch_id", "received", "duplicates", "rejected"],
                                "properties": {
                                    "batch_id": {"type": "string"},
                                    "received": {
                                        "type": "integer",
                                        "description": "new tokens accepted for payment",
                                    },
                                    "duplicates": {
                                        "type": "integer",
                                        "description": "tokens (or the batch) seen before",
                                    },
                                    "rejected": {
                                        "type": "integer",
                                        "description": "new tokens refused, kept with reason",
                                    },
                                },
                            }
                        ),
                        "409": _error(
                            "this batch id was received with other scans (BATCH_ID_REUSED)"
                        ),
                        **COMMON_ERRORS,
                        **SIGNED_ERRORS,
                    },
                }
            },
        },
    }
