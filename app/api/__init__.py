"""The DeepCall API client (async, httpx). Import from the submodules: client, errors, models."""
