// Draws the payment QR: error correction level M exactly, a 4-module quiet zone, black
// on white, whole device pixels per module (crisp for the till's camera).
import { correction, generate, mode } from '../vendor/lean-qr.js';

export const QUIET_ZONE = 4;

/** Draw `text` on `canvas` so it fits a square of `cssSize` CSS pixels. */
export function drawQr(canvas, text, cssSize) {
  return paint(canvas, generate(mode.alphaNumeric(text), { minCorrectionLevel: correction.M, maxCorrectionLevel: correction.M }), cssSize);
}

/** A text QR code (the EPC transfer QR: ASCII bytes, level M), drawn like the payment one. */
export function drawTextQr(canvas, text, cssSize) {
  return paint(canvas, generate(mode.iso8859_1(text), { minCorrectionLevel: correction.M, maxCorrectionLevel: correction.M }), cssSize);
}

function paint(canvas, code, cssSize) {
  const modules = code.size + 2 * QUIET_ZONE;
  const ratio = globalThis.devicePixelRatio || 1;
  const scale = Math.max(1, Math.floor((cssSize * ratio) / modules));
  const side = modules * scale;
  canvas.width = side;
  canvas.height = side;
  canvas.style.width = `${side / ratio}px`;
  canvas.style.height = `${side / ratio}px`;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, side, side);
  ctx.fillStyle = '#000';
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) {
      if (code.get(x, y)) ctx.fillRect((x + QUIET_ZONE) * scale, (y + QUIET_ZONE) * scale, scale, scale);
    }
  }
  return { version: (code.size - 17) / 4, modules, scale };
}
