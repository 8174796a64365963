"""Federation: citizens sign in with an upstream OpenID provider (VNeID and others).

The provider is then itself a relying party of each upstream: ``upstreams`` holds their
configuration, ``upstream_client`` speaks the code flow to them (checked with the
relying-party module's validation), ``linking`` decides which citizen an upstream
identity is, ``upstream_sessions`` ties provider sessions to upstream sessions for
logout both ways, and ``views`` are the browser's steps.
"""
