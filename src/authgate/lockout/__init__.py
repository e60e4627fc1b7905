"""The lockout: failed password and one-time-code checks, counted per account and address."""
