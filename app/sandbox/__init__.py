"""The embedded DeepCall-compatible server: real HTTP on loopback, seeded contacts, faults.

Start it with :class:`app.sandbox.server.SandboxServer` (background thread) or
``screenpop sandbox`` (foreground). Credentials: :mod:`app.sandbox.accounts`; well-known
numbers: :mod:`app.sandbox.seed`; error-code conditions: app/sandbox/README.md.
"""
