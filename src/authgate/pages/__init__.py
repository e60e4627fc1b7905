"""The server-rendered pages under ``/admin``: sign-in, password reset, invitations,
registration, the account (two-factor, static token) and administration.

They call the same services as the API, with the same accountability; nothing here decides a
rule of its own. See ``routes.py`` for the list of pages and ``web.py`` for what they share.
"""
