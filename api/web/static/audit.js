// The auditor's page: the whole ledger verified, its export, a deployment's timeline with
// each event's inclusion proof checked in the browser, and any record's state as of a time.
"use strict";

const page = document.getElementById("audit-page");
const words = (text) => String(text || "–").replaceAll("_", " ");
// "ApplicationSubmitted" -> "application submitted"
const eventWords = (name) => String(name || "").split(".").pop().replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();

async function verifyLedger() {
  const out = document.getElementById("ledger-result");
  out.textContent = "Verifying…";
  out.className = "";
  try {
    const result = await lfr.api("/ledger/verification");
    out.textContent = result.summary;
    out.className = result.ok ? "ok" : "failed";
  } catch (error) {
    out.textContent = `FAILED: ${error.message}`;
    out.className = "failed";
  }
}

async function download(path, name) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${lfr.token()}` } });
  if (!response.ok) { lfr.notice(`The export failed: ${response.status}`, "error"); return; }
  const link = lfr.el("a", "", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// A checkpoint covering the event (one is signed now when the latest is older), the event's
// inclusion proof in it, and the check against the log's published key.
async function prove(row, out) {
  out.textContent = "checking…";
  try {
    const checkpoints = (await lfr.api("/ledger/checkpoints")).rows;
    let checkpoint = checkpoints[checkpoints.length - 1];
    if (!checkpoint || checkpoint.tree_size < row.notification_id) {
      checkpoint = await lfr.api("/ledger/checkpoints", { method: "POST" });
    }
    const proof = await lfr.api(`/ledger/proofs/inclusion/${row.notification_id}?tree_size=${checkpoint.tree_size}`);
    const key = (await fetch("/public/checkpoint").then((r) => r.json())).log_public_key;
    const result = await lfrVerify.verifyEvent(proof, proof.checkpoint, key);
    out.textContent = result.text;
    out.className = result.ok ? "ok" : "failed";
  } catch (error) {
    out.textContent = `FAILED: ${error.message}`;
    out.className = "failed";
  }
}

async function showTimeline(id) {
  const rows = (await lfr.api(`/audit/deployments/${id}/timeline`)).rows;
  const body = document.getElementById("timeline-rows");
  body.replaceChildren();
  for (const r of rows) {
    const cell = document.createElement("td");
    const button = lfr.el("button", "Check", { type: "button", class: "small secondary", "aria-label": `Check event ${r.notification_id}` });
    const out = lfr.el("output", "");
    button.addEventListener("click", () => prove(r, out));
    cell.append(button, " ", out);
    const what = `${eventWords(r.event)} (${eventWords(r.aggregate_type)} v${r.version})`;
    body.append(lfr.row([String(r.notification_id), lfr.when(r.at), what, r.actor_id, lfr.roleWords([r.actor_role]), r.justification || "–", cell]));
  }
  if (!rows.length) body.append(lfr.row(["No events yet."]));
  return rows;
}

function dump(doc) {
  const list = document.getElementById("asof");
  list.replaceChildren();
  const head = document.createElement("div");
  head.append(lfr.el("dt", "Record"), lfr.el("dd", `${words(doc.type)} ${doc.aggregate_id}, version ${doc.version}`));
  list.append(head);
  for (const [key, value] of Object.entries(doc.state)) {
    if (key.startsWith("sealed") || value === null || value === "" ) continue; // sealed bytes say nothing to people
    const div = document.createElement("div");
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    div.append(lfr.el("dt", words(key)), lfr.el("dd", text.length > 300 ? `${text.slice(0, 300)}…` : text, { "data-key": key }));
    list.append(div);
  }
}

async function asOf() {
  const id = document.getElementById("asof-what").value;
  const at = document.getElementById("asof-at").value;
  const iso = `${at.length === 16 ? `${at}:00` : at}+00:00`;
  try {
    dump(await lfr.api(`/audit/aggregates/${id}?at=${encodeURIComponent(iso)}`));
  } catch (error) {
    document.getElementById("asof").replaceChildren(lfr.el("p", `No state: ${error.message}`, { class: "failed" }));
  }
}

async function picker(chosen) {
  const select = document.getElementById("deployment");
  const rows = (await lfr.api("/web/api/deployments")).rows;
  for (const d of rows) select.append(lfr.el("option", `${d.location} (${d.borough}) · ${words(d.status)} · ${lfr.when(d.starts_at)}`, { value: d.id }));
  select.value = chosen;
  return rows.find((d) => d.id === chosen);
}

document.addEventListener("DOMContentLoaded", async () => {
  if (!(await lfr.forPage())) return;
  page.hidden = false;
  document.getElementById("verify-ledger").addEventListener("click", verifyLedger);
  document.getElementById("export").addEventListener("click", () => download("/ledger/export.zip", "lfr-ledger-export.zip"));
  const id = page.dataset.deployment;
  try {
    const deployment = await picker(id);
    if (!id) return;
    if (!deployment) { lfr.notice("No such deployment.", "error"); return; }
    document.getElementById("detail").hidden = false;
    const rows = await showTimeline(id);
    const what = document.getElementById("asof-what");
    const seen = new Map(rows.map((r) => [r.aggregate_id, r.aggregate_type]));
    for (const [aggregate, type] of seen) what.append(lfr.el("option", `${words(type)} ${aggregate.slice(0, 8)}`, { value: aggregate }));
    what.value = id;
    document.getElementById("asof-at").value = new Date().toISOString().slice(0, 19);
    document.getElementById("asof-form").addEventListener("submit", (event) => { event.preventDefault(); asOf(); });
  } catch (error) {
    lfr.notice(error.message, "error");
  }
});
