"""The sandbox's SQLite database: one writer, readers that never wait (`database`), its layout and migration
(`schema`), rows as Python reads them (`rows`), and the `Store` that gathers settings, identities and the
resources' stores (each resource's store lives with its routes)."""
