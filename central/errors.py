"""The reference service's refusal: a rule said no, with the contract's error code (:class:`StoreError`).

Apart from :mod:`central.store` so that the store's parts (:mod:`central.officers`) raise it without a cycle;
``central.store.StoreError`` is the same class.
"""

from __future__ import annotations

from central import contract as c


class StoreError(Exception):
    """A rule said no; ``code`` is the contract's error code."""

    def __init__(self, code: c.ErrorCode, message: str, *, attempts_left: int | None = None,
                 retry_after_s: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.attempts_left = attempts_left
        self.retry_after_s = retry_after_s

    def body(self) -> c.ErrorBody:
        return c.ErrorBody(code=self.code, message=self.message, attempts_left=self.attempts_left,
                           retry_after_s=self.retry_after_s)
