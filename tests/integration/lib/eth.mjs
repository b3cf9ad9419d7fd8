// Dependency-free Ethereum primitives for the integration tests: Keccak-256, secp256k1 signing
// (with control over the S half and the recovery id), RLP and the three transaction envelopes the
// node accepts. Only Node's standard library is used, so these tests need no npm install.
import { randomBytes } from 'node:crypto';

// ---- bytes --------------------------------------------------------------------------------------

export function hexToBytes(hex) {
  let h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (h.length % 2) h = '0' + h;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    const b = parseInt(h.substr(i * 2, 2), 16);
    if (Number.isNaN(b)) throw new Error(`bad hex: ${hex}`);
    out[i] = b;
  }
  return out;
}

export function bytesToHex(b) {
  return '0x' + Buffer.from(b).toString('hex');
}

export function concatBytes(parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Minimal big-endian bytes of a non-negative integer (0 -> empty), as RLP wants.
export function bigToBytes(v) {
  v = BigInt(v);
  if (v < 0n) throw new Error('negative');
  if (v === 0n) return new Uint8Array(0);
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return hexToBytes(h);
}

export function bigTo32(v) {
  const h = BigInt(v).toString(16).padStart(64, '0');
  return hexToBytes(h);
}

export function bytesToBig(b) {
  return b.length ? BigInt(bytesToHex(b)) : 0n;
}

// ---- Keccak-256 (the original padding, not SHA3-256) ------------------------------------------

const MASK64 = (1n << 64n) - 1n;
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
// ROT[x][y]: rotation of lane (x, y).
const ROT = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
].map((r) => r.map(BigInt));

function rotl(v, n) {
  if (n === 0n) return v;
  return ((v << n) | (v >> (64n - n))) & MASK64;
}

function keccakF(A) {
  const C = new Array(5);
  const B = new Array(25);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
    for (let x = 0; x < 5; x++) {
      const D = C[(x + 4) % 5] ^ rotl(C[(x + 1) % 5], 1n);
      for (let y = 0; y < 25; y += 5) A[x + y] ^= D;
    }
    for (let x = 0; x < 5; x++)
      for (let y = 0; y < 5; y++) B[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(A[x + 5 * y], ROT[x][y]);
    for (let y = 0; y < 25; y += 5)
      for (let x = 0; x < 5; x++)
        A[x + y] = B[x + y] ^ (~B[((x + 1) % 5) + y] & MASK64 & B[((x + 2) % 5) + y]);
    A[0] ^= RC[round];
  }
}

export function keccak256(data) {
  if (typeof data === 'string') data = new TextEncoder().encode(data);
  const rate = 136;
  const padded = new Uint8Array(Math.floor(data.length / rate) * rate + rate);
  padded.set(data);
  padded[data.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const A = new Array(25).fill(0n);
  const view = new DataView(padded.buffer);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) A[i] ^= view.getBigUint64(off + i * 8, true);
    keccakF(A);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) ov.setBigUint64(i * 8, A[i], true);
  return out;
}

// ---- secp256k1 ----------------------------------------------------------------------------------

const P = 2n ** 256n - 2n ** 32n - 977n;
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const G = [
  0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
];

function mod(a, m = P) {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function inv(a, m = P) {
  let [lo, hi] = [mod(a, m), m];
  let [x0, x1] = [1n, 0n];
  while (lo > 1n) {
    const q = hi / lo;
    [lo, hi] = [hi - q * lo, lo];
    [x0, x1] = [x1 - q * x0, x0];
  }
  return mod(x0, m);
}

// Affine points; null is the point at infinity.
function add(p, q) {
  if (!p) return q;
  if (!q) return p;
  if (p[0] === q[0]) {
    if (mod(p[1] + q[1]) === 0n) return null;
    const l = mod(3n * p[0] * p[0] * inv(2n * p[1]));
    const x = mod(l * l - 2n * p[0]);
    return [x, mod(l * (p[0] - x) - p[1])];
  }
  const l = mod((q[1] - p[1]) * inv(q[0] - p[0]));
  const x = mod(l * l - p[0] - q[0]);
  return [x, mod(l * (p[0] - x) - p[1])];
}

const G_POW = (() => {
  const t = [G];
  for (let i = 1; i < 256; i++) t.push(add(t[i - 1], t[i - 1]));
  return t;
})();

// k·G as a sum of the precomputed powers, in Jacobian coordinates (one inversion at the end).
function mulG(k) {
  let X = 0n, Y = 0n, Z = 0n;  // Z = 0: infinity
  for (let i = 0; i < 256 && k > 0n; i++, k >>= 1n) {
    if (!(k & 1n)) continue;
    const [x2, y2] = G_POW[i];
    if (Z === 0n) {
      [X, Y, Z] = [x2, y2, 1n];
      continue;
    }
    const z1z1 = mod(Z * Z);
    const h = mod(x2 * z1z1 - X);
    const r = mod(y2 * Z * z1z1 - Y);
    if (h === 0n) {
      if (r !== 0n) {
        Z = 0n;
        continue;
      }
      // Doubling (a = 0).
      const a = mod(X * X), b = mod(Y * Y), c = mod(b * b);
      const d = mod(2n * ((X + b) ** 2n - a - c)), e = 3n * a;
      const x3 = mod(e * e - 2n * d);
      [X, Y, Z] = [x3, mod(e * (d - x3) - 8n * c), mod(2n * Y * Z)];
      continue;
    }
    const hh = mod(h * h), hhh = mod(h * hh), v = mod(X * hh);
    const x3 = mod(r * r - hhh - 2n * v);
    [X, Y, Z] = [x3, mod(r * (v - x3) - Y * hhh), mod(Z * h)];
  }
  if (Z === 0n) return null;
  const zi = inv(Z), zi2 = mod(zi * zi);
  return [mod(X * zi2), mod(Y * zi2 * zi)];
}

export function privateKeyToAddress(priv) {
  const d = typeof priv === 'bigint' ? priv : BigInt(priv);
  const pub = mulG(d);
  const hash = keccak256(concatBytes([bigTo32(pub[0]), bigTo32(pub[1])]));
  return toChecksumAddress(bytesToHex(hash.slice(12)));
}

function powMod(b, e, m) {
  let r = 1n;
  for (b = mod(b, m); e > 0n; e >>= 1n, b = mod(b * b, m)) if (e & 1n) r = mod(r * b, m);
  return r;
}

// k·Q for any point (double-and-add in affine coordinates: slow, fine for a few checks).
function mulPoint(k, q) {
  let acc = null;
  for (; k > 0n; k >>= 1n, q = add(q, q)) if (k & 1n) acc = add(acc, q);
  return acc;
}

// The address whose key made signature {r, s, recid} of a 32-byte digest (Ethereum's ecrecover),
// written out here so that tests check the node's signatures independently of its own code.
export function recoverDigest(digest, { r, s, recid }) {
  if (r <= 0n || r >= N || s <= 0n || s >= N || recid < 0 || recid > 1) throw new Error('bad signature');
  const alpha = mod(r * r * r + 7n);
  let y = powMod(alpha, (P + 1n) / 4n, P);
  if (mod(y * y) !== alpha) throw new Error('r is not the x of a curve point');
  if ((y & 1n) !== BigInt(recid)) y = P - y;
  // Q = r⁻¹(s·R − z·G) = (s·r⁻¹)·R + (−z·r⁻¹)·G
  const ri = inv(r, N);
  const z = mod(bytesToBig(digest), N);
  const q = add(mulPoint(mod(s * ri, N), [r, y]), mulG(mod(-z * ri, N)));
  if (!q) throw new Error('recovered the point at infinity');
  const hash = keccak256(concatBytes([bigTo32(q[0]), bigTo32(q[1])]));
  return toChecksumAddress(bytesToHex(hash.slice(12)));
}

export function toChecksumAddress(addr) {
  const lower = addr.toLowerCase().replace(/^0x/, '');
  const hash = Buffer.from(keccak256(lower)).toString('hex');
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

export function randomPrivateKey() {
  for (;;) {
    const d = bytesToBig(randomBytes(32));
    if (d > 0n && d < N) return '0x' + d.toString(16).padStart(64, '0');
  }
}

// Signs a 32-byte digest. Returns {r, s, recid} with low S, unless opts.highS asks for the
// (equally valid, but non-canonical) high-S twin.
export function signDigest(digest, priv, opts = {}) {
  const d = BigInt(priv);
  const z = bytesToBig(digest);
  for (;;) {
    const k = mod(bytesToBig(randomBytes(32)), N);
    if (k === 0n) continue;
    const R = mulG(k);
    const r = mod(R[0], N);
    if (r === 0n) continue;
    let s = mod(inv(k, N) * (z + r * d), N);
    if (s === 0n) continue;
    let recid = Number(R[1] & 1n) | (R[0] >= N ? 2 : 0);
    if (recid > 1) continue;  // astronomically rare; keeps recid in {0, 1}
    const high = s > N / 2n;
    if (high !== !!opts.highS) {
      s = N - s;
      recid ^= 1;
    }
    return { r, s, recid };
  }
}

// ---- RLP ----------------------------------------------------------------------------------------

function lengthPrefix(len, offset) {
  if (len < 56) return Uint8Array.of(offset + len);
  const lb = bigToBytes(len);
  return concatBytes([Uint8Array.of(offset + 55 + lb.length), lb]);
}

// Items: Uint8Array, bigint/number (minimal big-endian), '0x..' hex strings, arrays (lists).
export function rlpEncode(item) {
  if (Array.isArray(item)) {
    const body = concatBytes(item.map(rlpEncode));
    return concatBytes([lengthPrefix(body.length, 0xc0), body]);
  }
  let b;
  if (item instanceof Uint8Array) b = item;
  else if (typeof item === 'string') b = hexToBytes(item);
  else b = bigToBytes(item);
  if (b.length === 1 && b[0] < 0x80) return b;
  return concatBytes([lengthPrefix(b.length, 0x80), b]);
}

// ---- transactions -------------------------------------------------------------------------------

const GWEI = 1_000_000_000n;
export const UNIT = 10n ** 18n;

// tx: {type: 0|2, chainId, nonce, to, value, data, gas, gasPrice | maxFeePerGas + maxPriorityFeePerGas}
// opts: {unprotected: legacy without EIP-155, highS: non-canonical signature}
// Returns {raw: '0x…', hash: '0x…'}.
export function signTx(tx, priv, opts = {}) {
  const to = tx.to ? hexToBytes(tx.to) : new Uint8Array(0);
  const data = tx.data ? (tx.data instanceof Uint8Array ? tx.data : hexToBytes(tx.data)) : new Uint8Array(0);
  const value = BigInt(tx.value ?? 0);
  const nonce = BigInt(tx.nonce ?? 0);
  const gas = BigInt(tx.gas ?? 21000);
  let raw;
  if ((tx.type ?? 2) === 2) {
    const fields = [
      BigInt(tx.chainId), nonce, BigInt(tx.maxPriorityFeePerGas ?? GWEI),
      BigInt(tx.maxFeePerGas ?? 2n * GWEI), gas, to, value, data, [],
    ];
    const digest = keccak256(concatBytes([Uint8Array.of(2), rlpEncode(fields)]));
    const sig = signDigest(digest, priv, opts);
    raw = concatBytes([Uint8Array.of(2), rlpEncode([...fields, sig.recid, sig.r, sig.s])]);
  } else {
    const base = [nonce, BigInt(tx.gasPrice ?? 2n * GWEI), gas, to, value, data];
    if (opts.unprotected) {
      const sig = signDigest(keccak256(rlpEncode(base)), priv, opts);
      raw = rlpEncode([...base, 27 + sig.recid, sig.r, sig.s]);
    } else {
      const chainId = BigInt(tx.chainId);
      const sig = signDigest(keccak256(rlpEncode([...base, chainId, 0n, 0n])), priv, opts);
      raw = rlpEncode([...base, chainId * 2n + 35n + BigInt(sig.recid), sig.r, sig.s]);
    }
  }
  return { raw: bytesToHex(raw), hash: bytesToHex(keccak256(raw)) };
}

export function selector(signature) {
  return keccak256(signature).slice(0, 4);
}

// ABI encoding of the few static argument kinds the tests need: address and uint256.
export function abiEncodeCall(signature, args) {
  const parts = [selector(signature)];
  for (const a of args) {
    if (typeof a === 'string' && /^0x[0-9a-fA-F]{40}$/.test(a)) parts.push(bigTo32(BigInt(a)));
    else parts.push(bigTo32(BigInt(a)));
  }
  return bytesToHex(concatBytes(parts));
}

// ---- state proofs (docs/STATE.md, "Proofs") ----------------------------------------------------

// Checks one tn_getProof entry {key, value, leaf, siblings} against a stateRoot, written from the
// tree's definition alone: path = keccak256(key); leaf hash = keccak256(0x00 ‖ path ‖
// keccak256(value)); internal hash = keccak256(0x01 ‖ left ‖ right); empty subtree = 32 zero
// bytes; siblings top-down. An entry with value null must be an exclusion proof.
export function verifyStateProof(stateRoot, { key, value, leaf, siblings }) {
  const path = keccak256(hexToBytes(key));
  const bit = (i) => (path[i >> 3] >> (7 - (i & 7))) & 1;
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  let h;
  if (value !== null) {
    if (!leaf || !same(hexToBytes(leaf.path), path)) return false;
    if (!same(hexToBytes(leaf.valueHash), keccak256(hexToBytes(value)))) return false;
  }
  if (leaf) {
    const leafPath = hexToBytes(leaf.path);
    if (value === null) {
      // Another key's leaf, alone where this key would be: same first bits, another path.
      if (same(leafPath, path)) return false;
      for (let i = 0; i < siblings.length; i++) {
        if (((leafPath[i >> 3] >> (7 - (i & 7))) & 1) !== bit(i)) return false;
      }
    }
    h = keccak256(concatBytes([Uint8Array.of(0), leafPath, hexToBytes(leaf.valueHash)]));
  } else {
    h = new Uint8Array(32);
  }
  for (let i = siblings.length - 1; i >= 0; i--) {
    const s = hexToBytes(siblings[i]);
    h = keccak256(concatBytes([Uint8Array.of(1), ...(bit(i) === 0 ? [h, s] : [s, h])]));
  }
  return bytesToHex(h) === stateRoot.toLowerCase();
}
