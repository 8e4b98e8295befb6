// Saving a file the core made (an ExportedFile: the 实收日报 as XLSX or CSV) from the webview: its
// bytes become a Blob that an <a download> link hands to the webview's download, under the core's
// file name. In a browser (and the end-to-end tests) that is the download folder; the desktop shell
// has no save dialog of its own yet.
import type { ExportedFile } from '@/bindings/ExportedFile'
import { base64ToBytes } from '@/pdf/base64'

const TYPES: Record<string, string> = {
  csv: 'text/csv;charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}

/** The MIME type of a file name, by its extension. */
export function mimeOf(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? ''
  return TYPES[ext] ?? 'application/octet-stream'
}

/** Hand the file to the webview's download. Throws a Base64Error when the core's text is not base64. */
export function saveFile(file: ExportedFile): void {
  // A copy on an ArrayBuffer of its own: what a Blob takes.
  const bytes = new Uint8Array(base64ToBytes(file.base64))
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeOf(file.file_name) }))
  const a = document.createElement('a')
  a.href = url
  a.download = file.file_name
  a.style.display = 'none'
  document.body.appendChild(a)
  try {
    a.click()
  } finally {
    a.remove()
    // After the click has been handled: the download has its own reference to the Blob by then.
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
}
