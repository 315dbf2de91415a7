"""File readers: bytes to arrays and tensors, every problem a
:class:`~hetgat.errors.DataFormatError` naming the file, line, column and value. They neither
find files nor assemble :class:`~hetgat.data.GraphData` (the loaders one level up do)."""
