"""Named-tuple results like PyTorch's ``torch.return_types.max(values=..., indices=...)``."""
import collections

_types = {}


def named(name, fields, *values):
    cls = _types.get((name, fields))
    if cls is None:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return f"ember.return_types.{name}(\n{inner})"
        cls = _types[(name, fields)] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return cls(*values)


def minmax(name, values, indices):
    return named(name, ("values", "indices"), values, indices)
