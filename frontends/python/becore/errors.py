"""The exceptions becore raises: one class per kind of failure (be::ErrorCode), each also a
subclass of the built-in exception a Python caller would expect, so ``except ValueError`` works
as well as ``except becore.InvalidArgument``. The text is becore's own message, unchanged (the
compiler's diagnostics follow it for a compile error); ``code``, ``message`` and ``log`` hold the
parts."""


class BecoreError(Exception):
    """Base of every becore error. ``code`` is the be::ErrorCode's name ("invalid_argument",
    ...), ``message`` becore's message and ``log`` the compiler log or other detail (may be
    empty)."""

    code = ""
    message = ""
    log = ""


class InvalidArgument(BecoreError, ValueError, TypeError):
    """The caller's input: a dtype, shape, attr, option, annotation or malformed file."""


class NotFound(BecoreError, LookupError):
    """A target, file or cache entry that does not exist."""


class Unavailable(BecoreError, RuntimeError):
    """A capability missing here: a CUDA driver or device, NVRTC, a CPU level this CPU lacks."""


class CompileError(BecoreError, RuntimeError):
    """clang or NVRTC rejected a kernel (``log`` holds the diagnostics), or it does not link."""


class KernelError(BecoreError, RuntimeError):
    """A kernel ran and failed: a BE_CHECK, a trap, a CUDA launch."""


class IOFailure(BecoreError, OSError):
    """A file, the kernel cache or its index cannot be read or written, or is damaged."""


_BY_CODE = {
    "invalid_argument": InvalidArgument,
    "not_found": NotFound,
    "unavailable": Unavailable,
    "compile_failed": CompileError,
    "kernel_failed": KernelError,
    "io": IOFailure,
}


def class_for_code(code: str) -> type:
    """The class for a be::ErrorCode name (called by the extension)."""
    return _BY_CODE.get(code, BecoreError)
