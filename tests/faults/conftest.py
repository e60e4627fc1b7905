"""The fault suite's fixtures: the SMTP server of the end-to-end suite (one per session)."""

from tests.e2e.conftest import mailbox

__all__ = ["mailbox"]
