"""Passkeys (WebAuthn): enrolment, passwordless sign-in, and a passkey as a second factor."""
