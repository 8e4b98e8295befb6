import { describe, expect, it } from 'vitest'
import { Base64Error, base64ToBytes } from './base64'

const bytes = (...b: number[]) => new Uint8Array(b)

describe('base64ToBytes', () => {
  it.each([
    ['', bytes()],
    ['Zg==', bytes(0x66)],
    ['Zm8=', bytes(0x66, 0x6f)],
    ['Zm9v', bytes(0x66, 0x6f, 0x6f)],
    ['Zm9vYg', bytes(0x66, 0x6f, 0x6f, 0x62)], // unpadded
    ['JVBERi0xLjc=', new TextEncoder().encode('%PDF-1.7')],
    ['AP+A/w==', bytes(0x00, 0xff, 0x80, 0xff)],
    ['5Lq65rCR5biB', new TextEncoder().encode('人民币')],
  ])('%s decodes', (text, want) => expect(base64ToBytes(text)).toEqual(want))

  it('ignores line breaks', () => expect(base64ToBytes('Zm9v\nYmFy\r\n')).toEqual(new TextEncoder().encode('foobar')))

  it('round-trips every byte value', () => {
    const all = new Uint8Array(256)
    for (let i = 0; i < 256; i++) all[i] = i
    let binary = ''
    for (const b of all) binary += String.fromCharCode(b)
    expect(base64ToBytes(btoa(binary))).toEqual(all)
  })

  it.each(['Zm9v!', 'Z', 'Zm9vY', 'Zh==', 'Zm-v'])('rejects %s', (text) => expect(() => base64ToBytes(text)).toThrow(Base64Error))
})
