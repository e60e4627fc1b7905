"""The storage edge: schema, engine, and the thread that runs each unit of work."""
