"""Shares: the endpoints (`routes`), the body of a create (`binding`), and their rows (`store`)."""
