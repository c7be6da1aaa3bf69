"""The installed version of flowframe."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowframe")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
