"""The bank's payment file of a run and the bank's return of failed payments.

The file is CSV (``reference,person_ref,name,bank_account_token,month,amount_fen``), one line
per payment the run issued, ordered by person and month, so the same run always gives the
same bytes; their SHA-256 is stored with the run and published. The file is the one place
names and bank account tokens leave the database: it goes to the bank, never to a log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from chengyu_contracts.domain_error import DomainError, NotFound
from chengyu_contracts.months import Month
from chengyu_kit.unit import Unit

from . import store

HEADER = ("reference", "person_ref", "name", "bank_account_token", "month", "amount_fen")


def bank_file_bytes(lines: Sequence[store.BankLine]) -> bytes:
    """The CSV of ``lines`` (UTF-8, ``\\n`` line ends), in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(
        (x.reference, x.person_ref, x.name, x.bank_account_token, str(x.month), x.amount_fen)
        for x in lines
    )
    return out.getvalue().encode()


async def bank_file(unit: Unit, month: Month) -> bytes:
    """The stored bank file of ``month``'s completed run."""
    content = await store.bank_file_of(unit.conn, month)
    if content is None:
        raise NotFound("unknown-payment-run", f"No payment run of {month} has completed here.")
    return content


async def record_bank_return(unit: Unit, month: Month, failed: Sequence[tuple[str, str]]) -> int:
    """Mark the payments the bank could not make (reference, reason) failed; the next run
    retries them. A reference the run of ``month`` did not issue refuses the whole return
    (``unknown-reference``, naming them) and nothing is written."""
    if await store.load_run(unit.conn, month) is None:
        raise NotFound("unknown-payment-run", f"No payment run of {month} was started here.")
    reasons = dict(failed)
    known = await store.known_references(unit.conn, month, reasons)
    unknown = sorted(set(reasons) - known)
    if unknown:
        shown = ", ".join(unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        raise DomainError(
            "unknown-reference",
            f"The run of {month} issued no payment with reference {shown}{more}.",
        )
    return await store.mark_failed(unit.conn, reasons)
