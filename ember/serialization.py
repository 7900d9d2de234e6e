"""ember.save / ember.load (being written)."""
__all__ = ["save", "load"]


def save(obj, f):
    raise NotImplementedError("ember.save is being written")


def load(f, map_location=None, weights_only=True):
    raise NotImplementedError("ember.load is being written")
