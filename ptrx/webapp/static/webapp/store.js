// What the patient logs while offline, kept in IndexedDB until the server has it.
// `queue` holds what is waiting, in the order it was made; `refused` holds what the
// server would not accept (a 400 or 404), kept until the patient has seen it.
const DB_NAME = "ptrx";
const STORES = ["queue", "refused"];

let opened = null;

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        for (const name of STORES) request.result.createObjectStore(name, { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(storeNames, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeNames, mode);
    let result;
    Promise.resolve(work(transaction)).then((value) => {
      result = value;
    });
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

function asPromise(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const queue = {
  add: (entry) => run(["queue"], "readwrite", (tx) => asPromise(tx.objectStore("queue").add(entry))),
  all: () => run(["queue"], "readonly", (tx) => asPromise(tx.objectStore("queue").getAll())),
  first: () =>
    run(["queue"], "readonly", (tx) =>
      asPromise(tx.objectStore("queue").openCursor()).then((cursor) => (cursor ? cursor.value : null)),
    ),
  remove: (seq) => run(["queue"], "readwrite", (tx) => asPromise(tx.objectStore("queue").delete(seq))),
  // In one transaction, so an entry is never both waiting and refused, nor neither.
  refuse: (entry, reason) =>
    run(["queue", "refused"], "readwrite", (tx) => {
      tx.objectStore("queue").delete(entry.seq);
      const { seq, ...rest } = entry;
      return asPromise(tx.objectStore("refused").add({ ...rest, reason }));
    }),
};

export const refused = {
  all: () => run(["refused"], "readonly", (tx) => asPromise(tx.objectStore("refused").getAll())),
  remove: (seq) => run(["refused"], "readwrite", (tx) => asPromise(tx.objectStore("refused").delete(seq))),
};

export function clearAll() {
  return run(STORES, "readwrite", (tx) => Promise.all(STORES.map((name) => asPromise(tx.objectStore(name).clear()))));
}
