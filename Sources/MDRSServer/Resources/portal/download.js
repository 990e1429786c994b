// A record downloaded from whichever hospital's gateway holds it: fetched (over CORS when it is
// another hospital's), counted for the progress bar and hashed as it streams, and handed to
// the browser's downloads through a service worker (download-worker.js), so that memory stays
// flat whatever the size. When it ends, its SHA-256 is compared with the fingerprint on-chain.

import { errorOf } from "./gateway.js";
import { SHA256, toHex } from "./sha256.js";

let worker = null;

/** The download worker, registered once; null where the browser has none. */
async function downloadWorker() {
  if (!("serviceWorker" in navigator)) return null;
  if (!worker) {
    worker = (async () => {
      const registration = await navigator.serviceWorker.register("/portal/download-worker.js", { scope: "/portal/downloads/" });
      const active = registration.active || (await new Promise((resolve) => {
        const installing = registration.installing || registration.waiting;
        installing.addEventListener("statechange", () => { if (installing.state === "activated") resolve(installing); });
      }));
      return active;
    })().catch((error) => { worker = null; throw error; });
  }
  return worker;
}

export function supported() {
  return "serviceWorker" in navigator && typeof TransformStream === "function";
}

/**
 * Downloads `url`; `onProgress(done, total)` as bytes arrive. Resolves with
 * `{ sha256, size, requestId }` once the last byte was handed to the browser; rejects with the
 * gateway's refusal (a GatewayError) before any byte if it refuses.
 */
export async function streamDownload(url, fileName, onProgress) {
  const active = await downloadWorker();
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  const total = Number(response.headers.get("Content-Length") || NaN);
  const contentType = response.headers.get("Content-Type") || "application/octet-stream";
  const hasher = new SHA256();
  let done = 0;
  let finished;
  const result = new Promise((resolve, reject) => { finished = { resolve, reject }; });
  const counted = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      hasher.update(chunk);
      done += chunk.byteLength;
      onProgress(done, total);
      controller.enqueue(chunk);
    },
    flush() {
      finished.resolve({ sha256: toHex(hasher.digest()), size: done, requestId: response.headers.get("MDRS-Request-Id") });
    },
  }));
  const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const channel = new MessageChannel();
  const ready = new Promise((resolve) => { channel.port1.onmessage = resolve; });
  active.postMessage({ id, stream: counted, fileName, contentType, size: total }, [counted, channel.port2]);
  await ready;
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.title = "download";
  frame.src = `/portal/downloads/${id}`;
  document.body.append(frame);
  setTimeout(() => frame.remove(), 10 * 60 * 1000);
  // A download that breaks off (the network, a cancel in the browser) fails the hash's promise.
  setTimeout(() => { if (done === 0) finished.reject(new Error("The download did not start. Try again.")); }, 120_000);
  return result;
}
