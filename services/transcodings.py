"""How domain values are written into stored events, and the JSON that holds them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.values import Audit


class AuditAsDict(Transcoding):
    type = Audit
    name = "audit"

    def encode(self, obj: Audit) -> dict[str, Any]:
        return {
            "actor_id": obj.actor_id,
            "actor_role": obj.actor_role,
            "at": obj.at.isoformat(),
            "justification": obj.justification,
            "s62_operation": obj.s62_operation,
            "deployment_id": obj.deployment_id,
            "authority_id": obj.authority_id,
        }

    def decode(self, data: dict[str, Any]) -> Audit:
        return Audit(**{**data, "at": datetime.fromisoformat(data["at"])})


class BytesAsBase64(Transcoding):
    type = bytes
    name = "b64"

    def encode(self, obj: bytes) -> str:
        return binascii.b2a_base64(obj, newline=False).decode("ascii")  # base64.b64encode's

    def decode(self, data: str) -> bytes:
        return base64.b64decode(data)


TRANSCODINGS = (AuditAsDict(), BytesAsBase64())


class _NotPlain(Exception):
    """A value orjson would not write as the library's encoder does."""


# Written by orjson exactly as by the library's encoder, whatever their value.
_AS_IS = frozenset({str, int, bool, type(None)})
# Subclasses of these (a StrEnum, an IntEnum) the library's encoder writes as their base type.
_NATIVE = (str, int, float, list, tuple, dict)


class StoredEventJSON(JSONTranscoder):
    """The library's JSON transcoder, writing the same bytes about three times faster.

    The library's encoder (the standard `json` module, compact separators, non-ASCII kept)
    calls back into Python for each value of a registered type and then escapes the text
    a character at a time: most of the cost of storing an alert, whose sealed crop is a few
    kilobytes of base64. Here the registered types are first replaced by what the library
    writes for them (`{"_type_": name, "_data_": ...}`), then orjson writes the result:
    the same bytes for text, integers, booleans, None, lists and dicts with text keys, and
    floats from 1e-4 to 1e16 (outside that range the two spell exponents differently).
    Anything else (such floats, other keys, subclasses of the native types, unregistered
    types) is written by the library's encoder, as before. Decoding is the library's."""

    def __init__(self) -> None:
        super().__init__()
        # The registered types the library's encoder hands to their transcoding: not those
        # that subclass a native type (it writes those as the native type).
        self._transcoded_types: dict[type, Transcoding] = {}

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        if not issubclass(transcoding.type, _NATIVE):
            self._transcoded_types[transcoding.type] = transcoding

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._plain(obj))
        except (_NotPlain, orjson.JSONEncodeError, RecursionError):
            return super().encode(obj)

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind in _AS_IS:
            return value
        if kind is dict:
            return self._plain_dict(value)
        if kind is float:
            return _plain_float(value)
        if kind is list or kind is tuple:
            return [self._plain(item) for item in value]
        transcoding = self._transcoded_types.get(kind)
        if transcoding is None:
            raise _NotPlain
        return self._transcoded(value, transcoding)

    def _plain_dict(self, value: dict[Any, Any]) -> dict[str, Any]:
        # An event's state is a dict of mostly text and registered types: those are done
        # here, without a call per value.
        plain = value.copy()
        transcoded_types = self._transcoded_types
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            kind = type(item)
            if kind in _AS_IS:
                continue
            if kind is float:
                _plain_float(item)
            elif kind in transcoded_types:  # as `_transcoded`, without its call
                transcoding = transcoded_types[kind]
                data = transcoding.encode(item)
                if type(data) not in _AS_IS:
                    data = self._plain(data)
                plain[key] = {"_type_": transcoding.name, "_data_": data}
            else:
                plain[key] = self._plain(item)
        return plain

    def _transcoded(self, value: Any, transcoding: Transcoding) -> dict[str, Any]:
        data = transcoding.encode(value)
        plain = data if type(data) in _AS_IS else self._plain(data)
        return {"_type_": transcoding.name, "_data_": plain}


def _plain_float(value: float) -> float:
    if 1e-4 <= abs(value) < 1e16 or value == 0.0:
        return value
    raise _NotPlain
