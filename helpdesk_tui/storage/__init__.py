"""Tables, engine and sessions, migrations. Knows nothing of the rules above it."""
