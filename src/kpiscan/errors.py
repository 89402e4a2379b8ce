"""The one error type for bad input: it names the file and, where known, the line."""
from __future__ import annotations


class InputError(Exception):
    """Raised by readers and the segmenter for input that cannot be scanned.

    str(err) is a one-line message "path:line: what is wrong" that the CLI prints as is.
    """

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __reduce__(self):
        # rebuilt from its parts, so it crosses process boundaries (worker pools, Dask)
        return (type(self), (self.path, self.message, self.line))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
