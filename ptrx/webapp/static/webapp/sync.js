// Writes that survive being offline. A write is sent at once when the device is online
// and nothing is waiting; otherwise it joins the queue on this device. The queue is sent
// in order, one entry at a time, each removed only once the server has answered it, so
// every entry reaches the server exactly once: completions are idempotent on
// (prescription, date, session), and check-ins carry a client_id. A 400 or 404 moves the
// entry to the refused list, which the patient sees; it is never dropped silently.
import { ApiError, NetworkError, request } from "./api.js";
import { queue } from "./store.js";

const RETRY_MS = 30000;
const listeners = new Set();
let replaying = null;

export function onSyncChange(listener) {
  listeners.add(listener);
}

function changed(event) {
  for (const listener of listeners) listener(event);
}

export async function submit(entry) {
  const waiting = await queue.all();
  if (waiting.length === 0 && navigator.onLine) {
    try {
      const answer = await request("POST", entry.path, entry.body);
      return { sent: true, answer };
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
  }
  await queue.add({ ...entry, queuedAt: new Date().toISOString() });
  changed({ type: "queued", entry });
  if (navigator.onLine) replay();
  return { sent: false };
}

export function replay() {
  if (!replaying) {
    const work = navigator.locks ? navigator.locks.request("ptrx-replay", replayAll) : replayAll();
    replaying = work.finally(() => {
      replaying = null;
    });
  }
  return replaying;
}

async function replayAll() {
  let sent = 0;
  for (;;) {
    const entry = await queue.first();
    if (!entry) break;
    try {
      const answer = await request("POST", entry.path, entry.body);
      await queue.remove(entry.seq);
      sent += 1;
      changed({ type: "sent", entry, answer });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 404)) {
        await queue.refuse(entry, error.describe());
        changed({ type: "refused", entry });
        continue;
      }
      // Offline, logged out, throttled or a server error: the entry waits for a later try.
      changed({ type: "stopped", error });
      setTimeout(replay, RETRY_MS);
      return;
    }
  }
  if (sent) changed({ type: "synced" });
}
