"""Who signs the checkpoints of the event log, and what a checkpoint of one partition says:
shared by the checkpointers that write them and the auditors that judge them. Pure.

Each city runs one checkpointer, whose events come from ``/<city>/audit/checkpointer`` and
whose notes are signed by the keys of the agency ``/<city>/audit`` in the key registry (the
signer name in a note is the key id). A key counts for a note published at a time only if
it is valid then, so a key retired since still vouches for what it signed while it served.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from chengyu_contracts.checkpoint import Checkpoint, NoteError, parse_note, verified_signers
from chengyu_contracts.keys import KeyRegistry, agency_may_sign

__all__ = [
    "CHECKPOINTER",
    "checkpoint_origin",
    "checkpointer_keys",
    "checkpointer_source",
    "signed_checkpoint",
]

#: The service name of the checkpointers (the last segment of their source).
CHECKPOINTER = "checkpointer"


def checkpointer_source(city: str) -> str:
    """The CloudEvents source of ``city``'s checkpointer."""
    return f"/{city}/audit/{CHECKPOINTER}"


def checkpoint_origin(topic: str, partition: int) -> str:
    """The origin line of a checkpoint of one partition: the same log for both cities."""
    return f"chengyu/log/{topic}/{partition}"


def checkpointer_keys(keys: KeyRegistry, city: str, at: datetime) -> dict[str, bytes]:
    """The key ids of ``city``'s checkpointer valid at ``at``, with their public keys."""
    source = checkpointer_source(city)
    return {
        entry.key_id: base64.b64decode(entry.public_key)
        for entry in keys
        if agency_may_sign(entry.agency, source)
        and entry.agency.startswith(f"/{city}/audit")
        and (not entry.has_window() or entry.valid_at(at))
    }


def signed_checkpoint(note_text: str, keys: Mapping[str, bytes]) -> Checkpoint | None:
    """The checkpoint of a note carrying a valid signature by one of ``keys``, else None
    (malformed, unsigned or signed by anyone else)."""
    try:
        note = parse_note(note_text)
        checkpoint = Checkpoint.parse(note.body)
    except NoteError:
        return None
    return checkpoint if verified_signers(note, keys) else None
