"""Action executors and the outbox runner that drives them."""
