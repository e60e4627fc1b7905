"""Work the server does on its own, on a schedule: purging expired rows."""
