"""The exceptions sigfit raises. The CLI turns every SigfitError into one line on stderr."""


class SigfitError(Exception):
    """Base class of every error sigfit raises on purpose."""


class InputError(SigfitError, ValueError):
    """The data or the arguments cannot be used: say what is wrong and how to fix it."""


class SigfitWarning(UserWarning):
    """Something was changed or may be unreliable (dropped rows, precision too low, ...)."""


class MissingDependencyError(SigfitError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""
