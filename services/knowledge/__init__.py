"""Curated knowledge: entries, their store, validation and the retrieval service."""
