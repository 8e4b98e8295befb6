// Rendering a PDF to <canvas> elements with pdf.js, for the previews (receipts and the other
// documents). WebKitGTK (the Tauri shell on Linux) has no built-in PDF viewer, so the page is drawn
// by pdf.js itself.
//
// The *legacy* build is used on purpose: the modern build calls Map.prototype.getOrInsertComputed
// and Math.sumPrecise unpolyfilled, which WebKitGTK 2.50 (Debian 12) does not have; the legacy
// build ships the polyfills. pdf.js is loaded on first use, so the counter starts without it.
import type { PDFDocumentProxy } from 'pdfjs-dist'
import { base64ToBytes } from './base64'

type PdfJs = typeof import('pdfjs-dist')

let pdfjs: Promise<PdfJs> | null = null

function loadPdfJs(): Promise<PdfJs> {
  if (pdfjs === null) {
    pdfjs = Promise.all([
      import('pdfjs-dist/legacy/build/pdf.mjs') as Promise<PdfJs>,
      import('pdfjs-dist/legacy/build/pdf.worker.min.mjs?url'),
    ]).then(([lib, worker]) => {
      lib.GlobalWorkerOptions.workerSrc = (worker as { default: string }).default
      return lib
    })
    pdfjs.catch(() => (pdfjs = null)) // a failed load is retried by the next preview
  }
  return pdfjs
}

/** An open PDF: its page count and a way to draw page n (1-based) into a canvas. */
export type OpenPdf = {
  pages: number
  /** Draw page `n` to fit `cssWidth` CSS pixels wide, sharp on the screen's pixel ratio. */
  draw(n: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<void>
  close(): Promise<void>
}

/** Open a PDF sent as base64. Rejects on malformed base64 or an unreadable PDF. */
export async function openPdf(pdfBase64: string): Promise<OpenPdf> {
  const data = base64ToBytes(pdfBase64)
  const lib = await loadPdfJs()
  // The fonts are embedded in the receipt (a subset): none is fetched or taken from the system.
  const task = lib.getDocument({ data, useSystemFonts: false })
  const doc: PDFDocumentProxy = await task.promise
  return {
    pages: doc.numPages,
    async draw(n, canvas, cssWidth) {
      const page = await doc.getPage(n)
      const unscaled = page.getViewport({ scale: 1 })
      const ratio = window.devicePixelRatio || 1
      const viewport = page.getViewport({ scale: (cssWidth / unscaled.width) * ratio })
      canvas.width = Math.floor(viewport.width)
      canvas.height = Math.floor(viewport.height)
      canvas.style.width = `${Math.floor(viewport.width / ratio)}px`
      canvas.style.height = `${Math.floor(viewport.height / ratio)}px`
      await page.render({ canvas, viewport }).promise
      page.cleanup()
    },
    close: () => task.destroy(),
  }
}
