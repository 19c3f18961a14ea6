"""The one error type of the earshot host tools."""


class EarshotError(Exception):
    """The one error type of the earshot host tools; its message is shown to the user as is."""
