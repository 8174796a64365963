"""The OpenID Connect and OAuth 2.0 side of the provider: Authlib's server, grants,
endpoints, clients, tokens and keys."""
