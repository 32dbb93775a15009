"""Ingestion: documents in ``docs_source/`` → cleaned, chunked, embedded, published index."""

import os

# PyThaiNLP writes ~/pythainlp-data on import and may try downloads; neither is allowed here.
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
# sentence-transformers/transformers must never reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
