"""Sorting ops (placeholder until written)."""
