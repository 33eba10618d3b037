"""CardioRAG's commands: `cardiorag` and its first aliases `ingest`, `adapters`, `benchmarks`.

This package composes the others into commands; nothing imports it.
"""
