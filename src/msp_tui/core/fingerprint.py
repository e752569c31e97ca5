"""Fingerprint phrases: words an admin reads out to a new person before confirming them.

Confirming seals a key to the person's public key, which the database supplies; a planted public
key would receive the key instead. Both sides compute the phrase from the public key and compare it
out of band (the reference's HKDF construction: PRK = SHA-256 of the public key, info = the account
id, 32 bytes, read as words). 256 words give 8 bits a word; 8 words give 64 bits.
"""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from msp_tui.core import crypto

#: 256 short, distinct, easy-to-say words (written for msp-tui; index = one byte).
WORDS = tuple("""
    acid acorn actor adobe agent alarm album alley amber angle ankle apple apron arena armor arrow
    aspen atlas attic award bacon badge bagel baker bamboo banjo barn basil basin beach beard berry
    bison blade blanket blimp bloom board bongo bonus boots brass bread brick bridge brook brush
    bucket cabin cable cactus camel candle canoe canyon cargo carpet castle cedar cello chalk cherry
    chess chimney cider cinema circus citrus clay cliff clock cloud clover cobra cocoa comet coral
    cotton cradle crane crater crown cube curtain daisy dancer delta denim desert diamond dinner
    dolphin domino donkey dragon drum dune eagle easel echo eclipse elbow elm ember engine falcon
    fern ferry fiddle finch flag flute forest fossil fountain fox frost galaxy garden garlic gecko
    geyser ginger glacier globe goat gondola grape gravel guitar hammer harbor harp hazel helmet
    heron hickory honey hornet house husky igloo island ivory jacket jaguar jasmine jelly jigsaw
    jungle kayak kernel kettle kiwi koala ladder lagoon lantern laptop lemon leopard lilac lily
    linen lizard lobster locket lotus magnet mango maple marble meadow melon meteor mirror mitten
    monkey moose mosaic motor muffin nectar needle nest noodle nutmeg oasis ocean olive onion orbit
    orchid otter oven owl paddle panda panther paper parrot peach pebble pelican pepper piano pickle
    pigeon pillow pine planet plum pocket pony poppy potato prism pumpkin puzzle quartz quill rabbit
    radar radish raven reef ribbon river robin rocket saddle salmon sandal satin scarf shovel silver
    sketch sloth snail spider spruce squid tiger tulip turtle velvet violin volcano wagon walnut
    walrus willow window wizard yacht
""".split())

PHRASE_WORDS = 8
BITS_PER_WORD = 8


def fingerprint_phrase(public_key: bytes, account_id: uuid.UUID | str) -> str:
    """The public key's fingerprint as words joined by '-', e.g. 'otter-maple-…' (64 bits)."""
    material = HKDFExpand(algorithm=hashes.SHA256(), length=32,
                          info=str(account_id).encode("utf-8")).derive(crypto.sha256(bytes(public_key)))
    return "-".join(WORDS[b] for b in material[:PHRASE_WORDS])
