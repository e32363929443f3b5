// shims/web/48_crypto.js: crypto.getRandomValues and crypto.randomUUID (WebCrypto's two
// synchronous members).
// Exposes: `crypto` (90_install publishes it).
// Hides:   the ChaCha20 state behind it. Its 256-bit key comes from the host's entropy
//          (os.urandom) for each evaluation, or from `random_seed` when one is set, so seeded
//          evaluations are reproducible end to end, as Deno's --seed makes them.
// Needs:   00_primordials, 05_host (config.cryptoKey), 41_webidl (error classes).
// Load:    lazy (first read of `crypto`).
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, NumberParseInt, StringPrototypeSlice, TypedArrayPrototypeGetBuffer,
    TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetByteOffset,
    TypedArrayPrototypeGetSymbolToStringTag, listPush, newList,
  } = boot.primordials;
  const { domErrorClass } = boot.webidl;
  const QuotaExceededError = domErrorClass("QuotaExceededError");
  const TypeMismatchError = domErrorClass("TypeMismatchError");

  const key = new boot.primordials.Uint32Array(8);
  const block = new boot.primordials.Uint32Array(16);
  const working = new boot.primordials.Uint32Array(16);
  const blockBytes = new boot.primordials.Uint8Array(TypedArrayPrototypeGetBuffer(block));
  const stream = { __proto__: null, counter: 0, offset: 64 };

  const keyHex = boot.host.config.cryptoKey;
  for (let i = 0; i < 8; i++) {
    key[i] = NumberParseInt(StringPrototypeSlice(keyHex, i * 8, i * 8 + 8), 16);
  }

  function quarter(x, a, b, c, d) {
    x[a] = (x[a] + x[b]) | 0; x[d] ^= x[a]; x[d] = (x[d] << 16) | (x[d] >>> 16);
    x[c] = (x[c] + x[d]) | 0; x[b] ^= x[c]; x[b] = (x[b] << 12) | (x[b] >>> 20);
    x[a] = (x[a] + x[b]) | 0; x[d] ^= x[a]; x[d] = (x[d] << 8) | (x[d] >>> 24);
    x[c] = (x[c] + x[d]) | 0; x[b] ^= x[c]; x[b] = (x[b] << 7) | (x[b] >>> 25);
  }

  function refill() {
    const s = working;
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (let i = 0; i < 8; i++) s[4 + i] = key[i];
    s[12] = stream.counter; s[13] = 0; s[14] = 0; s[15] = 0;
    stream.counter = (stream.counter + 1) >>> 0;
    for (let i = 0; i < 16; i++) block[i] = s[i];
    for (let round = 0; round < 10; round++) {
      quarter(block, 0, 4, 8, 12); quarter(block, 1, 5, 9, 13);
      quarter(block, 2, 6, 10, 14); quarter(block, 3, 7, 11, 15);
      quarter(block, 0, 5, 10, 15); quarter(block, 1, 6, 11, 12);
      quarter(block, 2, 7, 8, 13); quarter(block, 3, 4, 9, 14);
    }
    for (let i = 0; i < 16; i++) block[i] = (block[i] + s[i]) | 0;
    stream.offset = 0;
  }

  function randomByte() {
    if (stream.offset >= 64) refill();
    return blockBytes[stream.offset++];
  }

  const INTEGER_ARRAYS = {
    __proto__: null, Int8Array: true, Uint8Array: true, Uint8ClampedArray: true, Int16Array: true,
    Uint16Array: true, Int32Array: true, Uint32Array: true, BigInt64Array: true,
    BigUint64Array: true,
  };

  function getRandomValues(array) {
    let tag;
    try {
      tag = TypedArrayPrototypeGetSymbolToStringTag(array);
    } catch {
      tag = undefined;
    }
    if (tag === undefined || INTEGER_ARRAYS[tag] !== true) {
      throw new TypeMismatchError("Failed to execute 'getRandomValues' on 'Crypto': The provided " +
        "ArrayBufferView is not an integer array type.");
    }
    const length = TypedArrayPrototypeGetByteLength(array);
    if (length > 65536) {
      throw new QuotaExceededError("Failed to execute 'getRandomValues' on 'Crypto': The " +
        "ArrayBufferView's byte length (" + length + ") exceeds the number of bytes of entropy " +
        "available via this API (65536).");
    }
    const bytes = new boot.primordials.Uint8Array(TypedArrayPrototypeGetBuffer(array),
      TypedArrayPrototypeGetByteOffset(array), length);
    for (let i = 0; i < length; i++) bytes[i] = randomByte();
    return array;
  }

  const HEX = "0123456789abcdef";
  function randomUUID() {
    const parts = newList();
    for (let i = 0; i < 16; i++) {
      let b = randomByte();
      if (i === 6) b = (b & 0x0f) | 0x40;
      if (i === 8) b = (b & 0x3f) | 0x80;
      if (i === 4 || i === 6 || i === 8 || i === 10) listPush(parts, "-");
      listPush(parts, HEX[b >> 4] + HEX[b & 15]);
    }
    return ArrayPrototypeJoin(parts, "");
  }

  const crypto = { getRandomValues, randomUUID };

  return {
    __proto__: null, crypto,
  };
});
