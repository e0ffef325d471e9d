"""Screen lock facts: one module per OS."""
