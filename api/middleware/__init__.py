"""The HTTP policies, one pure-ASGI middleware each; api/app.py composes them, in order."""
