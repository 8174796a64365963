"""Benchmark suite: the provider under gunicorn against node-oidc-provider (``bench/run``)."""
