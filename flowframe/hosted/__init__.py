"""Clients for the hosted FlashAlpha 0DTE flow API (the only module that imports httpx)."""

from flowframe.hosted._base import Quota
from flowframe.hosted._client import AsyncFlashAlpha, FlashAlpha

__all__ = ["AsyncFlashAlpha", "FlashAlpha", "Quota"]
