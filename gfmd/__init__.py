"""GFMD document assistant: application wiring (settings, errors, command line).

The data flow lives in the stage packages: ``ingest`` -> ``corpus`` -> ``assistant``
-> ``ui``; ``evals`` measures the whole.
"""

__version__ = "0.1.0"
