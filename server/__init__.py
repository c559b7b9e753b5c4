"""Rendezvous server: the customer-facing HTTP API, storage, tokens, calendar files and CLI."""
