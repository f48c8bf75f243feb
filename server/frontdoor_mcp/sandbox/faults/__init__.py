"""Fault injection for tests: what a test asks the sandbox to do to requests and the log of what it served
(`controller`), the middleware that applies it (`middleware`), and the rate limit one fault applies
(`token_bucket`)."""
