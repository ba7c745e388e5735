"""Accounts and sign-in: argon2 password hashes, short-lived JWT bearer tokens."""
