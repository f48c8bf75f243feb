"""The sandbox as an OAuth 2 authorization server: the token endpoint, JWKS and metadata (`routes`), and the
ES256 key that signs its JWTs (`signing_key`)."""
