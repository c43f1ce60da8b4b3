"""Platform clients (X, Facebook Pages) behind one interface, and the platform sandbox.

Nothing in this package imports Django except `registry.py`'s callers: clients take their
base URLs and credentials as arguments, so the same code talks to a platform or the sandbox.
"""
