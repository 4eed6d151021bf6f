// Checks a published register row in the browser: each source event's leaf (RFC 9162,
// SHA-256 with 0x00 leaf and 0x01 node prefixes) is folded up its inclusion proof to the
// root of the signed checkpoint, and the checkpoint's Ed25519 signature is checked with
// the log's public key (WebCrypto), where the browser has Ed25519.
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

  // The signed body "origin\nsize\nroot(base64)\ntime\n": what the signature covers.
  function parseBody(body) {
    const [origin, size, root, time, tail] = body.split("\n");
    if (tail !== "" || !/^\d+$/.test(size)) throw new Error("the checkpoint body is malformed");
    return { origin, size: Number(size), root: fromB64(root), time };
  }

  async function signatureVerdict(checkpoint, keyText) {
    const cut = keyText.lastIndexOf(":");
    const raw = fromB64(keyText.slice(cut + 1));
    const keyId = toHex((await sha256(raw)).slice(0, 8));
    const signature = (checkpoint.signatures || []).find((s) => s.key_id === keyId);
    if (!signature) return { ok: false, text: `not signed by the log's key ${keyId}` };
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      return { ok: null, text: "signature not checked: browser lacks Ed25519" };
    }
    const good = await crypto.subtle.verify({ name: "Ed25519" }, key, fromB64(signature.signature), enc.encode(checkpoint.body));
    return good
      ? { ok: true, text: `signed by ${keyText.slice(0, cut)} (key ${keyId})` }
      : { ok: false, text: "the checkpoint's signature does not match its body" };
  }

  // One proof item {notification_id, proof, event} against the checkpoint body.
  async function checkEvent(item, body) {
    if (item.event.notification_id !== item.notification_id) return "the event is not the one the row names";
    if (item.proof.tree_size !== body.size) return `the proof is for a tree of ${item.proof.tree_size}, the checkpoint has ${body.size}`;
    const root = await rootFrom(await leafHash(leafBytes(item.event)), item.proof.index, item.proof.tree_size, item.proof.path.map(fromHex));
    return root && equal(root, body.root) ? null : `event ${item.notification_id} is not in the signed log`;
  }

  // {ok: true|false, text}: whether every event of the row is in the signed checkpoint.
  async function verifyRow(row, checkpoint, keyText) {
    try {
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
      const signed = await signatureVerdict(checkpoint, keyText);
      if (signed.ok === false) return { ok: false, text: `FAILED: ${signed.text}` };
      return {
        ok: true,
        text: `verified: ${proofs.length} event${proofs.length === 1 ? "" : "s"} in the log of ${body.size} entries; ${signed.text}`,
      };
    } catch (error) {
      return { ok: false, text: `FAILED: ${error.message}` };
    }
  }

  // One event with its proof and checkpoint (the DPO's erasure proofs use it).
  async function verifyEvent(item, checkpoint, keyText) {
    const row = { notification_ids: [item.event.notification_id],
      proofs: [{ notification_id: item.event.notification_id, proof: item.inclusion, event: item.event }] };
    return verifyRow(row, checkpoint, keyText);
  }

  return { verifyRow, verifyEvent, leafBytes };
})();
