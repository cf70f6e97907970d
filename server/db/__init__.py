"""The database seam: one async interface (``seam``) over SQLite (``sqlite``) and
PostgreSQL (``postgres``), and the numbered schema ``migrations``. Nothing here
knows what the caisse stores; ``server.storage`` writes the SQL."""
