"""HTTP API v1 (SPEC §8): the public, wallet and merchant views, signed-request
``auth``, the OpenAPI document and the wallet's static files."""
