"""Process definitions as data: the schema, the shipped files, the registry."""
