"""The command line through its real entry point."""
