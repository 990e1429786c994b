// Streams a download the page fetched (and is hashing and counting) to the browser's downloads,
// so that a record of any size goes to disk without being held in memory: the page hands the
// stream over with postMessage, then opens /portal/downloads/<id>, which this worker answers
// with that stream as an attachment.

const pending = new Map();

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const { id, stream, fileName, contentType, size } = event.data || {};
  if (typeof id !== "string" || !(stream instanceof ReadableStream)) return;
  pending.set(id, { stream, fileName, contentType, size });
  // A download never opened must not keep its stream (and the gateway's connection) forever.
  setTimeout(() => { const left = pending.get(id); if (left) { pending.delete(id); left.stream.cancel(); } }, 60_000);
  event.ports[0]?.postMessage("ready");
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const match = url.pathname.match(/^\/portal\/downloads\/([0-9a-f]{32})$/);
  if (!match || !pending.has(match[1])) return;
  const { stream, fileName, contentType, size } = pending.get(match[1]);
  pending.delete(match[1]);
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const headers = {
    "Content-Type": contentType || "application/octet-stream",
    "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    "X-Content-Type-Options": "nosniff",
  };
  if (Number.isFinite(size)) headers["Content-Length"] = String(size);
  event.respondWith(new Response(stream, { headers }));
});
