"""The app factory: ``create_app(config)`` wires storage, keys, trust lists and routes.

Views stay thin (parse, authenticate, call a service); services take a
``Queries`` inside a transaction; all SQL is in ``server.storage.core``. A background
task re-signs the trust list at least every ``trust_list_refresh_s`` and applies the
shop withdrawals whose date has come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keys import keystore
from server.api import democracy, home, merchant, pages, public, wallet
from server.api.errors import HANDLERS
from server.api.wallet_static import CoreFiles, TillFiles, WalletFiles
from server.caisse.code_throttle import FailureLimiter
from server.caisse.decisions import apply_due
from server.caisse.keyring import KeyRing, open_keyring
from server.caisse.setup import record_config
from server.caisse.trust import TrustLists
from server.config import Config
from server.console import create_admin_app
from server.context import AppContext
from server.db.seam import open_database
from server.ledger.intake import Intake
from server.storage.core import Storage

log = logging.getLogger("ssa.app")
REPO = Path(__file__).resolve().parent.parent
WALLET_DIR = REPO / "wallet_pwa"
TILL_DIR = REPO / "till_pwa"
CORE_DIR = REPO / "keys" / "js"  # the SSA1 core both PWAs import, at /keys/js/


class AccessLog:
    """One structured line per request: method, path, status, duration (no bodies, no headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


async def _refresh_loop(context: AppContext, every_s: float) -> None:
    """Re-sign the trust list when due; drop failure counters untouched for a day."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await context.trust_lists.current(context.now())
            await context.limiter.forget()
            await _withdrawals_due(context)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("background refresh failed")


async def _withdrawals_due(context: AppContext) -> None:
    """Shops the members withdrew from a date now past: suspended, a new trust list."""
    async with context.storage.transaction() as q:
        await apply_due(q, context.config, context.keyring.root, actor="server", now=context.now())


def _routes(wallet_dir: Path, till_dir: Path) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/", home.index),
        Route("/favicon.ico", home.favicon),
        Route("/favicon.svg", home.favicon),
        Route("/healthz", public.healthz),
        Route("/api/v1/openapi.json", public.openapi),
        Route("/api/v1/trust-list", public.trust_list, methods=["GET"]),
        Route("/api/v1/wallet/activate", wallet.activate_wallet, methods=["POST"]),
        Route("/api/v1/wallet/credential", wallet.credential, methods=["GET"]),
        Route("/api/v1/wallet/receipts", wallet.receipts, methods=["GET"]),
        Route("/api/v1/wallet/proposals", democracy.wallet_proposals, methods=["GET"]),
        Route("/api/v1/wallet/proposals", democracy.wallet_propose, methods=["POST"]),
        Route("/api/v1/wallet/ballots", democracy.wallet_ballot, methods=["POST"]),
        Route("/api/v1/shops", democracy.shops, methods=["GET"]),
        Route("/api/v1/decisions", democracy.decisions_log, methods=["GET"]),
        Route("/api/v1/panels/{panel_id}", democracy.panel, methods=["GET"]),
        Route("/shops", pages.shops_page, methods=["GET"]),
        Route("/decisions", pages.decisions_page, methods=["GET"]),
        Route("/api/v1/wallet/contribution", wallet.contribution, methods=["GET"]),
        Route("/api/v1/merchant/enroll", merchant.enroll_scanner, methods=["POST"]),
        Route("/api/v1/merchant/batches", merchant.upload_batch, methods=["POST"]),
        Route("/api/v1/merchant/status", merchant.till_status, methods=["GET"]),
    ]
    if (wallet_dir / "index.html").is_file():
        routes.append(Route("/wallet", lambda r: RedirectResponse("/wallet/", 308)))
        routes.append(Mount("/wallet", WalletFiles(wallet_dir)))
    if (till_dir / "index.html").is_file():
        routes.append(Route("/till", lambda r: RedirectResponse("/till/", 308)))
        routes.append(Mount("/till", TillFiles(till_dir)))
    if (CORE_DIR / "tokens.js").is_file():
        routes.append(Mount("/keys/js", CoreFiles(CORE_DIR)))
    return routes


def create_app(
    config: Config,
    *,
    keyring: KeyRing | None = None,
    passphrase: str | None = None,
    clock: Callable[[], float] = time.time,
    schema: str | None = None,
    actor: str | None = None,
) -> Starlette:
    """The ASGI app of one caisse. Keys are opened now, so a wrong passphrase fails early.

    With ``actor`` (who started the server), a configuration that changed since it
    was last recorded is written to the audit log at start-up."""
    if keyring is None:
        keyring = open_keyring(config, passphrase or keystore.passphrase_from_env_or_prompt())
    storage = Storage(open_database(config.database, schema=schema))
    trust_lists = TrustLists(storage, config, keyring.root_public_key, keyring.root)
    context = AppContext(
        config=config,
        storage=storage,
        keyring=keyring,
        trust_lists=trust_lists,
        intake=Intake(storage, trust_lists, config),
        limiter=FailureLimiter(storage, config.rate_limit, clock),
        clock=clock,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await storage.open()
        if actor is not None:
            await record_config(storage, config, actor, context.now())
        await trust_lists.current(context.now())
        every = max(1.0, min(3600.0, config.trust_list_refresh_s / 4))
        task = asyncio.create_task(_refresh_loop(context, every))
        log.info("caisse server ready", extra={"caisse": config.caisse})
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            context.intake.close()
            await storage.close()

    wallet_dir = Path(config.wallet_dir) if config.wallet_dir else WALLET_DIR
    till_dir = Path(config.till_dir) if config.till_dir else TILL_DIR
    app = Starlette(
        routes=_routes(wallet_dir, till_dir),
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.state.ctx = context
    # The admin console: its own sub-app, so its middleware (security headers) and
    # HTML error pages apply under /admin only.
    app.router.routes.append(Route("/admin", lambda r: RedirectResponse("/admin/", 308)))
    app.router.routes.append(Mount("/admin", create_admin_app(context)))
    app.add_middleware(AccessLog)
    return app
