"""Coverage (1.3.3) and the subdivisions' submissions."""
