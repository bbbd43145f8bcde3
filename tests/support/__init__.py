"""The suite's shared fixtures and helpers: worlds, the CLI runner, servers and fakes."""
