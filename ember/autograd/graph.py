"""``ember.autograd.graph``: the node type, for isinstance checks and hooks."""
from .function import Node

__all__ = ["Node"]
