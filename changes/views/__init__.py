"""Pages of the changes app."""
