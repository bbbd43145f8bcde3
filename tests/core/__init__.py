"""The pure core: due dates, date rules, bounded input, where each deadline comes from."""
