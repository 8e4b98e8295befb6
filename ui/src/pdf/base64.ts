// Base64 (RFC 4648, standard alphabet, with or without `=` padding) to bytes, in integer
// arithmetic only: the core sends a receipt's PDF as base64 and pdf.js wants the bytes.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VALUE: Record<string, number> = {}
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charAt(i)] = i

export class Base64Error extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Base64Error'
  }
}

/** Decode base64 text (line breaks and spaces are ignored). Throws Base64Error when malformed. */
export function base64ToBytes(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '').replace(/=+$/, '')
  if (s.length % 4 === 1) throw new Base64Error('base64 text has an impossible length')
  const out = new Uint8Array((s.length >> 2) * 3 + (s.length % 4 === 0 ? 0 : (s.length % 4) - 1))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const v = VALUE[s.charAt(i)]
    if (v === undefined) throw new Base64Error(`not a base64 character at ${i}: ${JSON.stringify(s.charAt(i))}`)
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  // Bits left over after the last byte must be zero (canonical encoding).
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Base64Error('base64 text has non-zero padding bits')
  return out
}
