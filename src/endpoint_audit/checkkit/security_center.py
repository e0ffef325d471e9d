"""Windows Security Center's `productState`, decoded one way for every check.

Microsoft does not document the number. The decoding used here is the public analysis
"How to resolve this state value of AV providers" (mcpforlife.com, 2020-04-14), matching
the values Stack Overflow question 4700897 lists from 34 products on over 10,000
endpoints: bits 0xF000 the product state (0x0000 off, 0x1000 on, 0x2000 snoozed, 0x3000
expired), bits 0x0F00 the owner (0x000 a third party, 0x100 Windows), bits 0x00F0 the
signatures (0x00 up to date, 0x10 out of date); the bits above 0xFFFF name the kind of
provider. Anything else (a low nibble set, another nibble value, a number wider than 24
bits) is not decoded: the product is unknown, never taken as on.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

ProductState = Literal["on", "off", "snoozed", "expired"]

_STATES: dict[int, ProductState] = {0x0: "off", 0x1: "on", 0x2: "snoozed", 0x3: "expired"}
_SIGNATURES = {0x0: True, 0x1: False}
_OWNERS = {0x0: False, 0x1: True}


class Decoded(NamedTuple):
    state: ProductState
    up_to_date: bool
    microsoft: bool


def decode_product_state(code: int | None) -> Decoded | None:
    """The product's state, signatures and owner; None when any part is not recognised."""
    if code is None or code < 0 or code > 0xFFFFFF or code & 0x000F:
        return None
    state = _STATES.get((code >> 12) & 0xF)
    up_to_date = _SIGNATURES.get((code >> 4) & 0xF)
    microsoft = _OWNERS.get((code >> 8) & 0xF)
    if state is None or up_to_date is None or microsoft is None:
        return None
    return Decoded(state, up_to_date, microsoft)
