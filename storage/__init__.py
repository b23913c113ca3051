"""Client database: schema, sessions, queries and demo data (thin layer under the actions)."""
