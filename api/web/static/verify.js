// Checks a public register row in the browser:
// - the log's key is the one whose fingerprint the page prints (and the police publish);
// - each of the row's public events (RFC 9162 leaf: SHA-256 with 0x00 leaf and 0x01 node
//   prefixes) folds up its inclusion proof to the root of the signed checkpoint;
// - the events are the deployment's public record, in order, none missing between them;
// - the figures shown, and the row served, equal the payload of its latest public event;
// - the checkpoint (a C2SP signed note)'s Ed25519 signature verifies with the log's key, and
//   witnesses' cosignature/v1 with the witness keys it lists (WebCrypto).
"use strict";

const lfrVerify = (() => {
  const enc = new TextEncoder();

  const fromHex = (hex) => {
    if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new Error("not hex");
    return Uint8Array.from(hex.match(/../g) || [], (b) => parseInt(b, 16));
  };
  const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // ledger.leaf.leaf_bytes: magic, ids and lengths (big-endian ">4sQqHHIQ"), then the fields.
  function leafBytes(event) {
    const log = enc.encode(event.log);
    const oid = enc.encode(event.originator_id);
    const topic = enc.encode(event.topic);
    const state = fromHex(event.state);
    const header = new DataView(new ArrayBuffer(36));
    enc.encode("LFR1").forEach((b, i) => header.setUint8(i, b));
    header.setBigUint64(4, BigInt(event.notification_id));
    header.setBigInt64(12, BigInt(event.originator_version));
    header.setUint16(20, log.length);
    header.setUint16(22, oid.length);
    header.setUint32(24, topic.length);
    header.setBigUint64(28, BigInt(state.length));
    return concat(new Uint8Array(header.buffer), log, oid, topic, state);
  }

  // RFC 9162 §2.1.3.2, as ledger.merkle.verify_inclusion: the root the path leads to, or null.
  async function rootFrom(leafDigest, index, size, path) {
    if (!(index >= 0 && index < size) || path.some((p) => p.length !== 32)) return null;
    let fn = BigInt(index);
    let sn = BigInt(size - 1);
    let r = leafDigest;
    for (const p of path) {
      if (sn === 0n) return null;
      if (fn & 1n || fn === sn) {
        r = await nodeHash(p, r);
        if (!(fn & 1n)) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  // The signed body: origin, tree size and root (base64) on its first three lines (a
  // C2SP checkpoint; any further lines are extensions the signature also covers).
  function parseBody(body) {
    const lines = body.split("\n");
    const [origin, size, root] = lines;
    if (lines.length < 4 || lines[lines.length - 1] !== "" || !/^\d+$/.test(size)) {
      throw new Error("the checkpoint body is malformed");
    }
    return { origin, size: Number(size), root: fromB64(root) };
  }

  // The log's key from its text: a C2SP verifier key "name+id+base64(0x01 || key)", or
  // "name:base64(key)".
  function parseKey(keyText) {
    const vkey = /^([^+:\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/]+=*)$/.exec(keyText.trim());
    if (vkey) {
      const typed = fromB64(vkey[3]);
      if (typed.length !== 33 || typed[0] !== 1) throw new Error("not an Ed25519 verifier key");
      return { name: vkey[1], raw: typed.slice(1) };
    }
    const cut = keyText.lastIndexOf(":");
    const raw = fromB64(keyText.slice(cut + 1));
    if (cut < 1 || raw.length !== 32) throw new Error("not an Ed25519 public key");
    return { name: keyText.slice(0, cut), raw };
  }

  // SHA-256 of the raw key in hex, in groups of four: what the page and `lfr ledger key` print.
  async function fingerprint(raw) {
    return toHex(await sha256(raw)).match(/..../g).join(" ");
  }

  async function signatureVerdict(checkpoint, key) {
    const shortId = toHex((await sha256(key.raw)).slice(0, 8));
    const noteId = toHex((await sha256(concat(enc.encode(`${key.name}\n`), Uint8Array.of(1), key.raw))).slice(0, 4));
    const signature = (checkpoint.signatures || []).find((s) => s.key_id === shortId || s.key_id === noteId);
    if (!signature) return { ok: false, text: `not signed by the log's key ${key.name}` };
    let imported;
    try {
      imported = await crypto.subtle.importKey("raw", key.raw, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      return { ok: null, text: "signature not checked: browser lacks Ed25519" };
    }
    const good = await crypto.subtle.verify({ name: "Ed25519" }, imported, fromB64(signature.signature), enc.encode(checkpoint.body));
    return good
      ? { ok: true, text: `signed by ${key.name}` }
      : { ok: false, text: "the checkpoint's signature does not match its body" };
  }

  // The witnesses whose cosignature/v1 verifies with the vkeys the checkpoint lists (type
  // 0x04; the value is an 8-byte time then the signature of "cosignature/v1\ntime <T>\n"
  // followed by the body), as "name (time)".
  async function witnessed(checkpoint) {
    const names = [];
    for (const text of checkpoint.witness_keys || []) {
      try {
        const vkey = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(text.trim());
        const typed = vkey ? fromB64(vkey[3]) : new Uint8Array();
        if (typed.length !== 33 || typed[0] !== 4) continue;
        const id = toHex((await sha256(concat(enc.encode(`${vkey[1]}\n`), typed))).slice(0, 4));
        const line = (checkpoint.signatures || []).find((s) => s.signer === vkey[1] && s.key_id === id && id === vkey[2]);
        if (!line) continue;
        const value = fromB64(line.signature);
        const time = new DataView(value.buffer).getBigUint64(0);
        const message = enc.encode(`cosignature/v1\ntime ${time}\n${checkpoint.body}`);
        const key = await crypto.subtle.importKey("raw", typed.slice(1), { name: "Ed25519" }, false, ["verify"]);
        if (await crypto.subtle.verify({ name: "Ed25519" }, key, value.slice(8), message)) {
          names.push(`${vkey[1]} (${new Date(Number(time) * 1000).toISOString().slice(0, 16)}Z)`);
        }
      } catch (error) { /* a cosignature that cannot be checked is not counted */ }
    }
    return names;
  }

  // One proof item {notification_id, proof, event} against the checkpoint body.
  async function checkEvent(item, body) {
    if (item.event.notification_id !== item.notification_id) return "the event is not the one the row names";
    if (item.proof.tree_size !== body.size) return `the proof is for a tree of ${item.proof.tree_size}, the checkpoint has ${body.size}`;
    const root = await rootFrom(await leafHash(leafBytes(item.event)), item.proof.index, item.proof.tree_size, item.proof.path.map(fromHex));
    return root && equal(root, body.root) ? null : `event ${item.notification_id} is not in the signed log`;
  }

  // The public events' payloads, checked to be one deployment's public record in order.
  const PUBLIC_TOPIC = /:PublicRecord\.(PublicNoticePublished|ResultsPublished|ResultsAmended|EndingPublished)$/;
  function publicPayloads(proofs, deploymentId) {
    const events = proofs.map((p) => p.event).sort((a, b) => a.originator_version - b.originator_version);
    const payloads = [];
    events.forEach((event, i) => {
      if (!PUBLIC_TOPIC.test(event.topic)) throw new Error(`event ${event.notification_id} is not a public register event`);
      if (event.originator_id !== events[0].originator_id || event.originator_version !== i + 1) {
        throw new Error("the row's public events are not one unbroken public record");
      }
      const payload = JSON.parse(new TextDecoder().decode(fromHex(event.state))).row;
      if (!payload || payload.deployment_id !== deploymentId) {
        throw new Error(`event ${event.notification_id} is not of deployment ${deploymentId}`);
      }
      payloads.push(payload);
    });
    return payloads;
  }

  const shown = (value) => (value === null || value === undefined ? "–" : String(value));

  // Where the figures differ from the signed payload: the row served and the cells shown.
  function differences(payload, row, cells) {
    const found = [];
    for (const [column, value] of Object.entries(payload)) {
      if (row[column] !== value) found.push(`${column} served as ${shown(row[column])}, signed ${shown(value)}`);
    }
    for (const [column, text] of Object.entries(cells || {})) {
      // A column newer than the signed entry is not in it: shown empty, nothing is claimed.
      if (!(column in payload)) {
        if (text.trim() !== shown(null)) found.push(`${column} shown but not signed`);
      } else if (text.trim() !== shown(payload[column])) found.push(`${column} shown as ${text.trim()}, signed ${shown(payload[column])}`);
    }
    return found;
  }

  // {ok: true|false, text}: whether the row is its public record's latest payload, shown as
  // signed, every event in the signed checkpoint, signed by the key with `expectedPrint`.
  // `cells` maps column names to the text the page shows for them.
  async function verifyRow(row, checkpoint, keyText, expectedPrint, cells) {
    try {
      const key = parseKey(keyText);
      const print = await fingerprint(key.raw);
      if (expectedPrint !== undefined && print !== expectedPrint.trim()) {
        return { ok: false, text: `FAILED: the log's key ${print} is not the published key ${expectedPrint}` };
      }
      const body = parseBody(checkpoint.body);
      const proofs = row.proofs || [];
      const named = (row.notification_ids || []).map(Number);
      if (!proofs.length) return { ok: false, text: "no proofs came with this row" };
      if (named.length !== proofs.length || proofs.some((p) => !named.includes(p.notification_id))) {
        return { ok: false, text: "the proofs do not cover the row's events" };
      }
      for (const item of proofs) {
        const problem = await checkEvent(item, body);
        if (problem) return { ok: false, text: `FAILED: ${problem}` };
      }
      const payloads = publicPayloads(proofs, row.deployment_id);
      const changed = differences(payloads[payloads.length - 1], row, cells);
      if (changed.length) return { ok: false, text: `FAILED: the figures differ from the signed entry: ${changed.join("; ")}` };
      const signed = await signatureVerdict(checkpoint, key);
      if (signed.ok === false) return { ok: false, text: `FAILED: ${signed.text}` };
      const witnesses = await witnessed(checkpoint);
      const by = witnesses.length ? `; witnessed by ${witnesses.join(", ")}` : "";
      const amended = payloads.length > 2 ? `, amended ${payloads.length - 2} time${payloads.length === 3 ? "" : "s"}` : "";
      return {
        ok: true,
        text: `verified: the figures shown are the signed ${payloads[payloads.length - 1].status} entry${amended}; ${proofs.length} public event${proofs.length === 1 ? "" : "s"} in the log of ${body.size} entries; ${signed.text}, key ${print}${by}`,
      };
    } catch (error) {
      return { ok: false, text: `FAILED: ${error.message}` };
    }
  }

  // One event with its proof and checkpoint (the DPO's erasure proofs use it): in the signed
  // log, signed by the log's key; no register figures to compare.
  async function verifyEvent(item, checkpoint, keyText) {
    try {
      const key = parseKey(keyText);
      const body = parseBody(checkpoint.body);
      const proof = { notification_id: item.event.notification_id, proof: item.proof, event: item.event };
      const problem = await checkEvent(proof, body);
      if (problem) return { ok: false, text: `FAILED: ${problem}` };
      const signed = await signatureVerdict(checkpoint, key);
      if (signed.ok === false) return { ok: false, text: `FAILED: ${signed.text}` };
      return { ok: true, text: `verified: in the log of ${body.size} entries; ${signed.text}` };
    } catch (error) {
      return { ok: false, text: `FAILED: ${error.message}` };
    }
  }

  return { verifyRow, verifyEvent, leafBytes, fingerprint, parseKey };
})();
