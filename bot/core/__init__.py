"""Platform-neutral use cases: a draft typed in a chat becomes a ServiceOps request."""
