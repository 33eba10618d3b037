"""The `adapters` command (`cardiorag adapters`): one module per subcommand."""

from __future__ import annotations
