"""One module per official form; each exposes ``build(ctx) -> bytes``."""
