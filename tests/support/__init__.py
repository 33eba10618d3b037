"""What the tests share besides fixtures: paths, data writers, corpus templates, dtypes.

Tests and conftest files import from here; no test imports a conftest or another test module.
"""
