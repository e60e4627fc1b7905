"""Fixed-window counters over a shared store: rate limits, login attempts, used TOTP steps."""
