"""Benchmark suite: the provider under granian against node-oidc-provider (``bench/run``)."""
