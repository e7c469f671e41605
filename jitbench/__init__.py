"""jitbench: just-in-time production access for incident investigations.

Importing jitbench has no side effects: no server is contacted and no file is
written until a function is called.
"""
__version__ = "0.1.0"
