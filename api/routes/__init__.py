"""The endpoints, one router per area: evaluate, health, meta (info, metrics, playground)."""
