"""Delivery channels: what a send can go wrong with, and the message a channel takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver: rendered text plus a stable id for de-duplication downstream."""

    message_id: str
    address: str  # email address or Telegram chat id
    subject: str
    text: str
    html: str
    # Telegram: inline buttons under the message, (label, callback data) (the snooze buttons)
    buttons: tuple[tuple[str, str], ...] = ()


class DeliveryError(Exception):
    """A send failed; `temporary` ones are retried with backoff."""

    temporary = True


class TemporaryFailure(DeliveryError):
    temporary = True


class PermanentFailure(DeliveryError):
    temporary = False


class RetryAfter(TemporaryFailure):
    """The server asked us to wait `seconds` (Telegram 429)."""

    def __init__(self, seconds: float, message: str = ""):
        super().__init__(message or f"retry after {seconds} s")
        self.seconds = seconds


class ChatBlocked(PermanentFailure):
    """The Telegram chat blocked the bot or no longer exists (403)."""
