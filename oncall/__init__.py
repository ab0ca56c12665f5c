"""On-call schedules: rotations, overrides and swaps that decide who L1 is, right now."""
