"""The registers of projects No. 2-4: definitions, imports, lists, pages, reading."""
