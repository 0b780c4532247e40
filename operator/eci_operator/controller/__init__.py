"""Reconcile logic, Kopf-free: observe -> plan -> act -> status; the batched observer."""
