"""Changes workflow."""
