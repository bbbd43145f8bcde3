"""The test suite's own machinery: backends, database templates and their reuse."""
