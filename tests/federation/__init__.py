"""Federation tests: login through an independent upstream OpenID provider."""
