"""Email over SMTP: multipart text + HTML, STARTTLS or TLS, a stable Message-ID per outbox row,
one session reused across the messages of a dispatch run."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate

from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure
from notifications.settings import SmtpSettings

log = logging.getLogger("merzim.mail")
# Headers are not folded: Python's folding of a long non-ASCII Subject splits it into encoded
# words with the space between them outside, and readers drop it ("перенесёниз-за"). One
# line up to SMTP's 998 characters reads right everywhere.
POLICY = email_policy.SMTP.clone(max_line_length=998)


def build_message(settings: SmtpSettings, msg: Outgoing) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["From"] = settings.sender
    email["To"] = msg.address
    email["Subject"] = " ".join(msg.subject.split())  # a header is one line (names may hold \n)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = msg.message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(msg.text)
    email.add_alternative(msg.html, subtype="html")
    return email


class _ConnectionLost(Exception):
    """The session is gone (dropped, reset, timed out, or the server said 421): reconnect."""


def _lost(exc: BaseException) -> bool:
    """Whether `exc` ends the SMTP session rather than refusing one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, (smtplib.SMTPServerDisconnected, TimeoutError, OSError))


def _failure(exc: BaseException) -> Exception:
    """The outbox's verdict on a failed send: permanent (never retried) or temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return PermanentFailure(f"recipient refused: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        err = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):
            return PermanentFailure(err)
        return TemporaryFailure(err)
    return TemporaryFailure(f"SMTP {type(exc).__name__}: {exc}")


class EmailChannel:
    """Sends messages over one SMTP session kept open across the messages of a dispatch run.

    The session is opened at the first message and reused for the next ones; `close()` (the
    outbox calls it at the end of every run) says QUIT. A session older than
    `reuse_seconds` is replaced before the next message. When the session turns out to be
    gone (the server dropped it, a reset, a timeout, a 421 "closing"), the channel opens a
    new one and tries that message once more; a second failure is the outbox's to retry
    later. A refusal of one message (a refused recipient, a 5xx) leaves the session
    open for the next message: smtplib has already reset the transaction.

    Duplicates: SMTP cannot tell "the server took the message and the reply was lost" from
    "the server never took it" (RFC 1047). If a session drops in exactly that moment, the
    message is sent again on the new session: at most one repeat per dropped session, on top
    of the outbox's at most one repeat per crash. Each repeat carries the same Message-ID.
    """

    name = "email"

    def __init__(self, settings: SmtpSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self._client: smtplib.SMTP | None = None
        self._opened_at = 0.0
        self.sessions = 0  # sessions opened so far (for logs, tests and the benchmark)

    # -- the session ---------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.user:
                client.login(s.user, s.password or "")
        except BaseException:
            _abandon(client)
            raise
        self.sessions += 1
        return client

    def _session(self) -> smtplib.SMTP:
        reuse = self.settings.reuse_seconds
        if self._client is not None and reuse is not None and (
                self.clock() - self._opened_at >= reuse):
            self.close()
        if self._client is None:
            self._client = self._connect()
            self._opened_at = self.clock()
        return self._client

    def close(self) -> None:
        """End the session, if one is open (QUIT; a dead one is just closed)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            _abandon(client)

    def __enter__(self) -> EmailChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------------

    def _drop(self) -> None:
        """Forget a session that is broken or in doubt, without a goodbye."""
        client, self._client = self._client, None
        if client is not None:
            _abandon(client)

    def _send_once(self, email: EmailMessage) -> None:
        try:
            self._session().send_message(email)
        except Exception as exc:
            if _lost(exc):
                self._drop()
                raise _ConnectionLost() from exc
            if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                self._drop()  # not a refusal of this message: the session is in doubt
            raise  # a refusal: smtplib reset the transaction, the session goes on

    def send(self, msg: Outgoing) -> None:
        email = build_message(self.settings, msg)
        if undeliverable(msg.address):
            # .invalid is reserved (RFC 2606): no mail server serves it (the demo's people have
            # such addresses). The message goes to the log, once, rather than to a server that
            # would refuse it on every retry.
            log.info("e-mail to %s written here, not sent (.invalid is a reserved domain no "
                     "mail server serves): %s\n%s", msg.address, email["Subject"], msg.text)
            return
        try:
            try:
                self._send_once(email)
            except _ConnectionLost:
                self._send_once(email)  # once more, on a new session
        except _ConnectionLost as lost:
            raise TemporaryFailure(
                f"SMTP session failed twice: {_describe(lost.__cause__)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _failure(exc) from None


def undeliverable(address: str) -> bool:
    """An address of the reserved top-level domain .invalid (RFC 2606), which no server serves."""
    return address.rpartition("@")[2].rstrip(".").lower().endswith(".invalid")


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error!r}"
    return f"{type(exc).__name__}: {exc}"


def _abandon(client: smtplib.SMTP) -> None:
    """Close the socket without a goodbye (the session is already broken)."""
    with contextlib.suppress(OSError):
        client.close()
