"""Kopf glue only: registers handlers and turns Kopf calls into controller calls."""
