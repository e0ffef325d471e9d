"""Renderers: one module per output format. They read only the result model."""
