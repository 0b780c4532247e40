"""Fixtures for the local ECI emulator (filled in by the emulator work)."""
