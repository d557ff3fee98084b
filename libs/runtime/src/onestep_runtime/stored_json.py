"""The event store's JSON, written by orjson in the library's own format.

eventsourcing's `JSONTranscoder` writes each stored event's state with the standard library's
encoder: 7–9 % of a writing service's CPU flat out (the ledger, a gateway; 6.5 % of notify's).
orjson writes the same bytes three to five times faster. Values of types JSON lacks (an
event's timestamp, a Decimal) still go through the transcodings registered with the
application, so they are written, and read back, as the library writes them.

Where the two encoders differ, the library's is used, or the difference is harmless:
- orjson writes a UUID or an Enum in a form of its own, where the library writes a registered
  transcoding: a state with one among its fields is written by the library's encoder. onestep's
  events hold UUIDs only as their ids, which are not part of the state, and their nested
  values are JSON from a request or a message, where neither occurs;
- a value orjson refuses (an integer past 64 bits, a dict with keys that are not strings, an
  unregistered type) goes to the library's encoder, which writes it or raises its own error;
- NaN and infinities, for which JSON has no word, are written null (the standard encoder
  writes its own non-JSON `NaN`), as onestep's envelopes already carry them on Kafka;
- a float in exponent form is written without the `+` (`1e16`): the same number read back.

Reading is the library's (`JSONTranscoder.decode`), unchanged: what either wrote reads alike.
"""

from __future__ import annotations

from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder

# Datetimes and dataclasses are handed to the registered transcodings, as the library does.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_OWN_FORMS = (UUID, Enum)


class StoredJson(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        if type(obj) is dict and not any(isinstance(value, _OWN_FORMS) for value in obj.values()):
            try:
                return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
            except orjson.JSONEncodeError:
                pass  # the library's encoder writes it, or raises its own error
        return super().encode(obj)
