"""The operators' console at /console: clients, registration tokens, complaints, citizen
locks, the audit trail and signing keys, for operators (all actions) and auditors (read
only), signed in with a password and an authenticator-app code."""
