"""Who may use the console: accounts, argon2id passwords, sessions and the login throttle."""
