"""Self-service flows (login, registration, recovery, complaint): small state machines.

Each flow lives in the store under a random id with a TTL (so any replica can continue
it), is bound to the browser that started it, and moves through named states; views read
the request, advance the flow and render.
"""
