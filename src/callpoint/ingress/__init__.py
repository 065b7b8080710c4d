"""Ingress adapters: each turns one protocol into Events and knows nothing of rules."""
