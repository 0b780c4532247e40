"""Controller unit tests: pure status logic, the work queue, the batched observer."""
