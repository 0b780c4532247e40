"""A local ECI service for development, demos and tests."""
