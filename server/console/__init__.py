"""The admin console: server-rendered pages under /admin for the people who run a caisse."""

from server.console.site import create_admin_app

__all__ = ["create_admin_app"]
