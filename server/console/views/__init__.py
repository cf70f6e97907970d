"""The console's pages, one module per section; ``server.console.routes`` lists them."""
