"""The cross-platform package."""
