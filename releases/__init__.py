"""Releases workflow."""
