"""Scenario files: the schema, loading, inheritance, overrides and their errors."""
