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


VOTE_ERRORS = {
    "400": _error("invalid body; a choice not offered by the proposal (INVALID_CHOICE)"),
    "404": _error("no such proposal (UNKNOWN_PROPOSAL)"),
    "409": _error("outside the voting window (VOTING_CLOSED); the member voted (ALREADY_VOTED)"),
}
DEMOCRACY_SCHEMAS: dict[str, Any] = {
    "Proposal": {
        "type": "object",
        "required": [
            "proposal_id",
            "kind",
            "title",
            "text",
            "options",
            "opens_at",
            "closes_at",
            "status",
            "my_choice",
        ],
        "properties": {
            "proposal_id": {"type": "string", "pattern": "^p-[0-9a-f]{8}$"},
            "kind": {
                "type": "string",
                "enum": [
                    "shop-approval",
                    "shop-withdrawal",
                    "shop-review",
                    "rule-change",
                    "consultation",
                ],
            },
            "title": {"type": "string"},
            "text": {"type": "string"},
            "options": {
                "type": "array",
                "items": {"type": "string"},
                "description": "what a ballot may say: yes/no/abstain, or a consultation's "
                "options then abstain",
            },
            "opens_at": {"type": "integer", "nullable": True, "description": "epoch seconds"},
            "closes_at": {
                "type": "integer",
                "nullable": True,
                "description": "epoch seconds; ballots are taken while opens_at <= now < closes_at",
            },
            "status": {
                "type": "string",
                "enum": ["screening", "set-aside", "upcoming", "open", "counting", "closed"],
            },
            "my_choice": {"type": "string", "nullable": True},
            "my_receipt": {"type": "string", "nullable": True},
            "can_vote": {"type": "boolean"},
            "details": {
                "type": "object",
                "description": "shop name, address, hours, scope; or the shop withdrawn; or "
                "the rule changed and its period",
            },
            "result": {
                "type": "object",
                "description": "once closed: eligible, ballots, tally, quorum_met, outcome, "
                "winner, my_receipt_counted",
            },
            "proxies": {
                "type": "array",
                "description": "members whose proxy this member holds: member_id, name, choice",
                "items": {"type": "object"},
            },
        },
    },
    "Ballot": {
        "type": "object",
        "required": ["proposal_id", "choice"],
        "properties": {
            "proposal_id": {"type": "string", "pattern": "^p-[0-9a-f]{8}$"},
            "choice": {"type": "string", "maxLength": 200},
            "on_behalf_of": {
                "type": "string",
                "pattern": "^[0-9a-f]{16}$",
                "description": "the member whose proxy the signer holds for this proposal",
            },
        },
    },
    "Receipt": {
        "type": "object",
        "required": ["proposal_id", "choice", "receipt"],
        "properties": {
            "proposal_id": {"type": "string"},
            "choice": {"type": "string"},
            "receipt": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "listed in the published result when the ballot is counted",
            },
        },
    },
    "Shop": {
        "type": "object",
        "required": ["merchant_id", "name", "address", "hours", "scope", "approved_since"],
        "properties": {
            "merchant_id": {"type": "string"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "hours": {"type": "string"},
            "scope": {
                "type": "string",
                "nullable": True,
                "description": "the product ranges accepted; null: the whole shop",
            },
            "approved_since": {"type": "string", "format": "date"},
            "until": {
                "type": "string",
                "format": "date",
                "nullable": True,
                "description": "the day a decided withdrawal takes effect",
            },
        },
    },
}


def _democracy_paths() -> dict[str, Any]:
    proposals = {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}}
    return {
        "/api/v1/wallet/proposals": {
            "get": {
                "summary": "The proposals put to the vote, with this member's own ballot",
                "security": [{"SSA1Sig": []}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["proposals"],
                            "properties": {"proposals": proposals},
                        }
                    ),
                    **SIGNED_ERRORS,
                },
            },
            "post": {
                "summary": "A member's proposal, for the committee to screen",
                "security": [{"SSA1Sig": []}],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["kind", "title"],
                        "properties": {
                            "kind": {"type": "string"},
                            "title": {"type": "string", "maxLength": 200},
                            "text": {"type": "string"},
                            "options": {"type": "array", "items": {"type": "string"}},
                            "details": {"type": "object"},
                        },
                    }
                ),
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "proposal_id": {"type": "string"},
                                "status": {"type": "string"},
                            },
                        },
                        "waiting for screening",
                    ),
                    **COMMON_ERRORS,
                    **SIGNED_ERRORS,
                },
            },
        },
        "/api/v1/wallet/ballots": {
            "post": {
                "summary": "Cast or change a ballot (one per member and proposal) until the close",
                "security": [{"SSA1Sig": []}],
                "requestBody": _body({"$ref": "#/components/schemas/Ballot"}),
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Receipt"}),
                    **COMMON_ERRORS,
                    **SIGNED_ERRORS,
                    "403": _error(
                        "merchant key (FORBIDDEN), revoked member (KEY_REVOKED), not in the "
                        "deciding panel (NOT_ELIGIBLE), no such proxy (NO_PROXY)"
                    ),
                    **VOTE_ERRORS,
                },
            }
        },
        "/api/v1/shops": {
            "get": {
                "summary": "The directory of approved shops (public)",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["shops"],
                            "properties": {
                                "shops": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Shop"},
                                }
                            },
                        }
                    )
                },
            }
        },
        "/api/v1/decisions": {
            "get": {
                "summary": "The public decisions log: every close, its tally and receipts",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["decisions"],
                            "properties": {
                                "decisions": {"type": "array", "items": {"type": "object"}}
                            },
                        }
                    )
                },
            }
        },
        "/api/v1/panels/{panel_id}": {
            "get": {
                "summary": "A draw by lot's published inputs (seed, commitment, pseudonyms, "
                "strata) and result, to recompute it",
                "parameters": [
                    {
                        "name": "panel_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json({"type": "object"}),
                    "404": _error("no such panel (UNKNOWN_PANEL)"),
                },
            }
        },
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
                "Receipt": {
                    "type": "object",
                    "required": [
                        "cti",
                        "seq",
                        "amount_cents",
                        "merchant_name",
                        "scanned_at",
                        "status",
                    ],
                    "properties": {
                        "cti": {**B64URL, "description": "the credential's id"},
                        "seq": {"type": "integer"},
                        "amount_cents": {"type": "integer"},
                        "merchant_id": {"type": "string"},
                        "merchant_name": {"type": "string"},
                        "scanned_at": {"type": "integer", "description": "epoch seconds"},
                        "status": {"type": "string", "enum": ["received", "paid", "refused"]},
                        "reason": {
                            "type": "string",
                            "nullable": True,
                            "description": "for refused: the SPEC §5 code",
                        },
                    },
                },
                **DEMOCRACY_SCHEMAS,
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
            "/api/v1/wallet/contribution": {
                "get": {
                    "summary": "The member's household contribution: amount, balance, the "
                    "caisse's account, structured communication and EPC QR text",
                    "security": [{"SSA1Sig": []}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["household_id", "iban", "reference", "epc_qr"],
                                "properties": {
                                    "household_id": {"type": "integer"},
                                    "period": {"type": "string"},
                                    "monthly_cents": {"type": ["integer", "null"]},
                                    "balance_cents": {"type": "integer"},
                                    "to_pay_cents": {"type": ["integer", "null"]},
                                    "unpaid_rule": {"enum": ["remind", "suspend"]},
                                    "beneficiary": {"type": "string"},
                                    "iban": {"type": "string"},
                                    "bic": {"type": ["string", "null"]},
                                    "amount_cents": {"type": ["integer", "null"]},
                                    "reference": {"type": "string"},
                                    "epc_qr": {"type": "string"},
                                },
                            }
                        ),
                        **SIGNED_ERRORS,
                    },
                }
            },
            "/api/v1/wallet/receipts": {
                "get": {
                    "summary": "The member's payments that reached the caisse (received, paid, "
                    "refused), one per credential and seq",
                    "security": [{"SSA1Sig": []}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["receipts", "max_token_age_s"],
                                "properties": {
                                    "receipts": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Receipt"},
                                    },
                                    "max_token_age_s": {
                                        "type": "integer",
                                        "description": "a till refuses a payment older than this",
                                    },
                                },
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
                                    "scope": {
                                        "type": "string",
                                        "nullable": True,
                                        "description": "what the shop is approved for "
                                        "(null: the whole shop), for its till to show",
                                    },
                                },
                            }
                        ),
                        **COMMON_ERRORS,
                        **CODE_ERRORS,
                    },
                }
            },
            "/api/v1/merchant/status": {
                "get": {
                    "summary": "Where this till stands: 200 while it may accept payments, "
                    "403 KEY_REVOKED or MERCHANT_SUSPENDED once it may not",
                    "security": [{"SSA1Sig": []}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["merchant_id", "merchant_name", "status"],
                                "properties": {
                                    "merchant_id": {"type": "string"},
                                    "merchant_name": {"type": "string"},
                                    "status": {"type": "string", "enum": ["active"]},
                                    "trust_list_refresh_s": {
                                        "type": "integer",
                                        "description": "the caisse re-signs its list this often",
                                    },
                                    "trust_list_validity_s": {"type": "integer"},
                                    "contact": {
                                        "type": "string",
                                        "nullable": True,
                                        "description": "whom the shop calls",
                                    },
                                },
                            }
                        ),
                        **SIGNED_ERRORS,
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
            **_democracy_paths(),
        },
    }
