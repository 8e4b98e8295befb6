// Printing a document the core rendered (a DocumentPdf: the 退费申请单, the 退费通知单) from the
// webview, for the documents the core has no print command of its own for (receipts go to the
// counter's printer through `print_receipt`). Each page is drawn by pdf.js at print resolution into
// an image, the images are put in a print-only layer that hides the rest of the screen, and the
// webview's print is called (WebKitGTK and Chromium show the system's print dialog). What is printed
// is exactly the PDF on screen: no second call to the core, so a print is not counted twice.
import { openPdf } from './render'

/** Device pixels per PDF point: 200 dpi, sharp on paper without huge images. */
const SCALE = 200 / 72

const ROOT_ID = 'cashdesk-print'

function styleFor(widthPt: number, heightPt: number): string {
  return `
@media screen { #${ROOT_ID} { display: none; } }
@media print {
  body > *:not(#${ROOT_ID}) { display: none !important; }
  #${ROOT_ID} img { display: block; break-after: page; page-break-after: always; }
  #${ROOT_ID} img:last-child { break-after: auto; page-break-after: auto; }
}
@page { size: ${widthPt}pt ${heightPt}pt; margin: 0; }`
}

/**
 * Print a base64 PDF through the webview's print (the system's dialog). Resolves when the print
 * call has returned (the dialog closed); rejects when the PDF cannot be drawn.
 */
export async function printPdf(pdfBase64: string, title: string): Promise<void> {
  const doc = await openPdf(pdfBase64)
  const root = document.createElement('div')
  root.id = ROOT_ID
  const style = document.createElement('style')
  let size = { widthPt: 595, heightPt: 842 }
  try {
    for (let n = 1; n <= doc.pages; n++) {
      const canvas = document.createElement('canvas')
      size = await doc.drawAt(n, canvas, SCALE)
      const img = document.createElement('img')
      img.src = canvas.toDataURL('image/png')
      img.style.width = `${size.widthPt}pt`
      img.style.height = `${size.heightPt}pt`
      img.alt = `${title} ${n}`
      root.appendChild(img)
    }
  } finally {
    void doc.close().catch(() => undefined)
  }
  style.textContent = styleFor(size.widthPt, size.heightPt)
  document.getElementById(ROOT_ID)?.remove()
  document.head.appendChild(style)
  document.body.appendChild(root)
  await Promise.all([...root.querySelectorAll('img')].map((img) => img.decode().catch(() => undefined)))
  const before = document.title
  document.title = title // the print job's name
  try {
    window.print()
  } finally {
    document.title = before
    root.remove()
    style.remove()
  }
}
