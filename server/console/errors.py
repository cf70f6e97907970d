"""How the console answers a domain error: its error page, with the status of the error's code.

``STATUS`` is the console's one table from a code to an HTTP status. Views
raise (``NotFound(call._("There is no such shop."))``, ``Conflict(...)``) or
let a service's error through; ``server.console.call.guard`` renders every
one of them the same way, in the visitor's language and with their menu. A
code the table does not list is a fault: the site's logged 500 page.
"""

from __future__ import annotations

# Domain error code → HTTP status of the console's error page.
STATUS = {
    "INVALID": 400,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "INVALID_RECONCILE": 400,
    "BUSY": 503,
}
