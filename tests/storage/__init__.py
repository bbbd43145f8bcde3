"""The database: migrations, collation, bulk writes, the audit chain, query modules."""
