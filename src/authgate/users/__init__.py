"""Users: accounts, their statuses, passwords, static tokens and two-factor secrets."""
