"""Incidents workflow."""
