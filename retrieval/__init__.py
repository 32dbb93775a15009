"""Retrieval: a Thai question → ranked, cited passages from the published index."""
