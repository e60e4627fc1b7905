"""Load tests of authgate's hot paths against a real server process (see bench/README.md)."""
