// The ptrx patient app's service worker (scope /app/). It keeps the app shell for
// offline use and the last answer of each of the patient's reads (today, the plan,
// progress, messages), which the app clears when the patient logs out.
"use strict";

const VERSION = "{{ version }}";
const SHELL_CACHE = `ptrx-shell-${VERSION}`;
const DATA_CACHE = "ptrx-data";
const SHELL_URLS = {{ shell_urls|safe }};
const APP_URL = {{ app_url|safe }};
const DATA_PREFIX = {{ data_prefix|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("ptrx-shell-") && name !== SHELL_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, cacheName, fallbackUrl) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(cacheName);
      await cache.put(fallbackUrl || request, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await caches.match(fallbackUrl || request, { ignoreVary: true, cacheName });
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { cacheName: SHELL_CACHE });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === APP_URL) {
    event.respondWith(networkFirst(request, SHELL_CACHE, APP_URL));
  } else if (url.pathname.startsWith(DATA_PREFIX)) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  } else if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear-data") {
    event.waitUntil(caches.delete(DATA_CACHE));
  }
});
