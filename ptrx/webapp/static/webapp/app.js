// The ptrx patient app: routing between screens, the navigation, the offline status,
// the service worker, and logging in and out.
import { ApiError, NetworkError, get, getAll, session } from "./api.js";
import { h, localDate, replace } from "./dom.js";
import { checkInScreen } from "./screens/checkin.js";
import { loginScreen } from "./screens/login.js";
import { messagesScreen } from "./screens/messages.js";
import { planScreen } from "./screens/plan.js";
import { progressScreen } from "./screens/progress.js";
import { settingsScreen } from "./screens/settings.js";
import { todayScreen } from "./screens/today.js";
import { clearAll, queue, refused } from "./store.js";
import { t } from "./strings.js";
import { onSyncChange, replay } from "./sync.js";

const SCREENS = {
  today: { label: t.navToday, draw: todayScreen },
  plan: { label: t.navPlan, draw: planScreen },
  progress: { label: t.navProgress, draw: progressScreen },
  checkin: { label: t.navCheckIn, draw: checkInScreen },
  messages: { label: t.navMessages, draw: messagesScreen },
  settings: { label: t.navSettings, draw: settingsScreen },
};
const ME_KEY = "ptrx.me";

const main = document.getElementById("main");
const top = document.getElementById("top");
const statusArea = document.getElementById("status");
const refusedArea = document.getElementById("refused");
let justSynced = false;

const ctx = {
  me: JSON.parse(localStorage.getItem(ME_KEY) || "null"),
  load: (path) => get(path),
  loadAll: (path, pages) => getAll(path, pages),
  localToday: () => localDate(ctx.me.timezone),
  setMe: (me) => {
    ctx.me = me;
    localStorage.setItem(ME_KEY, JSON.stringify(me));
  },
  go: (name) => {
    if (location.hash === `#/${name}`) draw();
    else location.hash = `#/${name}`;
  },
  rerender: () => draw({ keepFocus: true }),
};

function currentScreen() {
  const name = location.hash.replace(/^#\//, "");
  return SCREENS[name] ? name : "today";
}

function navigation(active) {
  const logout = h("button", { type: "button", class: "logout" }, t.logOut);
  logout.addEventListener("click", logOut);
  return [
    h("p", { class: "brand" }, t.appName),
    h("nav", { "aria-label": t.nav }, h("ul", {}, Object.entries(SCREENS).map(([name, screen]) =>
      h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === active ? "page" : null }, screen.label))))),
    logout,
  ];
}

async function draw({ keepFocus = false } = {}) {
  if (!ctx.me) {
    top.hidden = true;
    replace(main, loginScreen(loggedIn));
    return;
  }
  const name = currentScreen();
  top.hidden = false;
  replace(top, navigation(name));
  try {
    const content = await SCREENS[name].draw(ctx);
    replace(main, content);
  } catch (error) {
    // The session ended, or another account (a therapist's, in the admin) took its place.
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return forgetSession();
    const again = h("button", { type: "button", onclick: () => draw() }, t.retry);
    replace(main, h("h1", {}, SCREENS[name].label), h("p", { role: "alert" }, t.loadFailed), again);
  }
  if (!keepFocus) main.focus();
  await showStatus();
}

async function showStatus() {
  const [waiting, refusedEntries] = await Promise.all([queue.all(), refused.all()]);
  const parts = [];
  if (ctx.me && !navigator.onLine) parts.push(h("p", { class: "offline-note" }, t.offline));
  if (waiting.length) parts.push(h("p", { class: "pending" }, t.waiting(waiting.length)));
  else if (justSynced) parts.push(h("p", { class: "synced" }, t.synced));
  replace(statusArea, parts);
  // Apart from the live status: it holds a heading and buttons.
  replace(refusedArea, refusedEntries.length === 0 ? null : h("section", { class: "refused", "aria-labelledby": "refused-heading" },
    h("h2", { id: "refused-heading" }, t.refusedHeading),
    h("p", {}, t.refusedIntro),
    h("ul", {}, refusedEntries.map((entry) => h("li", {},
      h("strong", {}, entry.label), ": ", entry.reason, " ",
      h("button", { type: "button", class: "secondary", onclick: async () => { await refused.remove(entry.seq); showStatus(); } }, t.dismiss))))));
}

onSyncChange(async (event) => {
  if (event.type === "queued") justSynced = false;
  if (event.type === "synced") justSynced = true;
  if (event.type === "synced" || event.type === "refused") await draw({ keepFocus: true });
  else await showStatus();
});

async function loggedIn(me) {
  // A new login never sees what an earlier one kept.
  await clearCaches();
  ctx.setMe(me);
  location.hash = "#/today";
  await draw();
  replay();
}

async function clearCaches() {
  if ("caches" in window) await caches.delete("ptrx-data");
}

// What this device kept of the patient: their account, the queue and refusals in
// IndexedDB, and the last plan and today in Cache Storage.
async function forgetSession() {
  localStorage.removeItem(ME_KEY);
  ctx.me = null;
  await Promise.all([clearAll(), clearCaches()]);
  await draw();
}

async function logOut() {
  const waiting = await queue.all();
  if (waiting.length && !window.confirm(t.logOutUnsent(waiting.length))) return;
  try {
    await session.close();
  } catch (error) {
    if (!(error instanceof ApiError || error instanceof NetworkError)) throw error;
  }
  await forgetSession();
}

window.addEventListener("hashchange", () => draw());
window.addEventListener("online", () => {
  replay();
  draw({ keepFocus: true });
});
window.addEventListener("offline", () => draw({ keepFocus: true }));

async function start() {
  if (ctx.me && navigator.onLine) {
    // The account kept from the last visit draws the screen; a fresh copy follows.
    get("me/").then(ctx.setMe, (error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) forgetSession();
    });
  }
  await draw();
  if (ctx.me && navigator.onLine) replay();
  // After the first screen: installing keeps a copy of every file, which must not
  // compete with what the patient is waiting for.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(document.body.dataset.serviceWorker, { scope: document.body.dataset.scope });
  }
}

start();
