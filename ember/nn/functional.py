"""ember.nn.functional (being written)."""
