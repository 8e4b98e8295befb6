import { afterEach, describe, expect, it, vi } from 'vitest'
import { mimeOf, saveFile } from './download'

afterEach(() => {
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('saving an exported file', () => {
  it('knows the types of the exports', () => {
    expect(mimeOf('实收日报-DEMO-01-2026-03-03.csv')).toBe('text/csv;charset=utf-8')
    expect(mimeOf('实收日报-DEMO-01-2026-03-03.XLSX')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(mimeOf('noext')).toBe('application/octet-stream')
  })

  it('hands the decoded bytes to a download under the core\'s file name', async () => {
    const blobs: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blobs.push(b as Blob)
      return 'blob:test/1'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    const clicked: Array<{ href: string; download: string }> = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download })
    })
    saveFile({ file_name: '实收日报.csv', base64: '5pel5pyfLOmHkemineKApgpw' })
    expect(clicked).toEqual([{ href: 'blob:test/1', download: '实收日报.csv' }])
    expect(blobs[0]!.type).toBe('text/csv;charset=utf-8')
    expect(new TextDecoder().decode(await blobs[0]!.arrayBuffer())).toBe('日期,金额…\np')
    expect(document.querySelector('a')).toBeNull() // the link is gone again
  })
})
