// The rear camera through getUserMedia, each frame read by zxing-wasm (ZXing-C++ compiled
// to WebAssembly, vendored from npm: its .wasm is fetched from /till/vendor/, never from a
// CDN). `Camera` reports what happens as states the screen explains: 'starting', 'on',
// 'denied' (how to grant), 'none' (no camera), 'busy' (another app has it), 'lost' (it
// stopped: retried with a growing delay), 'unsupported' (no getUserMedia: not https).
import { prepareZXingModule, readBarcodes } from '../vendor/zxing-wasm/reader/index.js';

const WASM_DIR = new URL('../vendor/zxing-wasm/reader/', import.meta.url);
prepareZXingModule({
  overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? new URL(path, WASM_DIR).href : prefix + path) },
});

export const READER_OPTIONS = { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 };
const MAX_SIDE = 1280; // frames are read at most this wide: a payment QR needs the detail

/** The text of the first QR code in `imageData`, or null. */
export async function decodeImageData(imageData) {
  const results = await readBarcodes(imageData, READER_OPTIONS);
  const found = results.find((r) => r.isValid && r.text);
  return found ? found.text : null;
}

/** Load and compile the decoder now (the first scan then costs no download). */
export function warmUp() {
  return prepareZXingModule({ overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? new URL(path, WASM_DIR).href : prefix + path) }, fireImmediately: true });
}

function stateOf(error) {
  const name = error?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'none';
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') return 'busy';
  return 'none';
}

export class Camera {
  /** `onText(text, frameTime)` for each decoded QR, `onState(state)` for each change. */
  constructor(video, { onText, onState }) {
    this.video = video;
    this.onText = onText;
    this.onState = onState;
    this.canvas = document.createElement('canvas');
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });
    this.stream = null;
    this.running = false;
    this.retryMs = 1000;
    this.retryTimer = null;
    this.paused = false;
  }

  async start() {
    clearTimeout(this.retryTimer);
    if (!navigator.mediaDevices?.getUserMedia) {
      this.onState('unsupported');
      return;
    }
    this.onState('starting');
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      this.onState(stateOf(error));
      if (stateOf(error) === 'busy') this.retryLater();
      return;
    }
    for (const track of this.stream.getVideoTracks()) track.addEventListener('ended', () => this.lost());
    this.video.srcObject = this.stream;
    try {
      await this.video.play();
    } catch {
      // autoplay of a muted, inline video is allowed; a refusal shows as no frames
    }
    this.retryMs = 1000;
    this.running = true;
    this.onState('on');
    this.loop();
  }

  lost() {
    if (!this.running) return;
    this.stopStream();
    this.onState('lost');
    this.retryLater();
  }

  retryLater() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
  }

  stopStream() {
    this.running = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }

  stop() {
    clearTimeout(this.retryTimer);
    this.stopStream();
  }

  /** Read one frame: draw it (scaled to MAX_SIDE), decode it. */
  async readFrame() {
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return null;
    const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
    const cw = Math.round(w * scale);
    const ch = Math.round(h * scale);
    if (this.canvas.width !== cw || this.canvas.height !== ch) [this.canvas.width, this.canvas.height] = [cw, ch];
    this.context.drawImage(this.video, 0, 0, cw, ch);
    return decodeImageData(this.context.getImageData(0, 0, cw, ch));
  }

  async loop() {
    while (this.running) {
      const started = performance.now();
      if (!this.paused && this.video.readyState >= 2) {
        try {
          const text = await this.readFrame();
          if (text) await this.onText(text, started);
        } catch (error) {
          console.warn('frame not read', error);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 60 - (performance.now() - started))));
    }
  }
}
