"""The workshop page (Solara) and its server."""
