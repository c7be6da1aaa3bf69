"""Clients for the hosted FlashAlpha 0DTE flow API (the only module that imports httpx)."""

from flowframe.sources.hosted._base import Quota
from flowframe.sources.hosted._client import AsyncFlashAlpha, FlashAlpha

__all__ = ["AsyncFlashAlpha", "FlashAlpha", "Quota"]
