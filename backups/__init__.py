"""Backups workflow."""
