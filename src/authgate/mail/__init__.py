"""Mail: templates rendered by a pure function, an outbox, and the transports behind it."""
