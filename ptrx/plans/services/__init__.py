"""Writes: every writer (admin, API, commands, tasks) goes through these functions."""
