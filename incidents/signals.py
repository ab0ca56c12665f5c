"""Receivers of the shared clocks' warning and breach signals."""
