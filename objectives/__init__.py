"""Objectives: one module per family, found by ``bench.registry``."""
