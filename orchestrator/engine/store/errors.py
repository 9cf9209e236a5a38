"""The run store's one error."""


class StoreError(RuntimeError):
    """The run store cannot be read or written; the message is one line naming the file."""


__all__ = ["StoreError"]
