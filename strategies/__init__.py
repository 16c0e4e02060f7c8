"""Strategies: one module per searcher family, found by ``bench.registry``.

This package is also the plugin folder: a module dropped here is registered
under its classes' ``name``.
"""
