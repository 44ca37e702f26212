"""The package's one exception type."""


class RramsimError(Exception):
    """A user-facing error: one line naming the file, node, key or argument and what was expected.

    The importers raise it for anything they refuse (never a silently different network)."""
