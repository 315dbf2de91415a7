"""Dataset loaders; every loader returns one :class:`hetgat.data.GraphData`."""
