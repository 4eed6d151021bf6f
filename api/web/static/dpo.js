// The DPO's view: what is due, overdue and held, legal holds, erasures with their ledger
// proofs (checked here), and the s.62 log of who viewed personal data and why.
"use strict";

const short = (id) => String(id).slice(0, 8);

function fill(id, rows, empty, cells) {
  const body = document.getElementById(id);
  body.replaceChildren();
  for (const r of rows) body.append(lfr.row(cells(r)));
  if (!rows.length) body.append(lfr.row([empty]));
}

async function liftHold(item) {
  const reason = prompt(`Reason for lifting the hold on alert ${short(item.item_id)}`);
  if (!reason) return;
  try {
    await lfr.api(`/alerts/${item.item_id}/legal-hold/lift`, { method: "POST", body: { reason } });
    lfr.notice("The legal hold is lifted.");
    await load();
  } catch (error) {
    lfr.notice(`Not lifted: ${error.message}`, "error");
  }
}

async function approveHold(item) {
  try {
    await lfr.api(`/alerts/${item.item_id}/legal-hold/approval`, { method: "POST", body: {} });
    lfr.notice("The legal hold is approved.");
    await load();
  } catch (error) {
    lfr.notice(`Not approved: ${error.message}`, "error");
  }
}

async function showProof(item, cell) {
  cell.textContent = "checking…";
  try {
    const doc = await lfr.api(`/dpo/erasures/${item.item_id}`);
    const proof = doc.erasure_proof;
    if (!proof || proof.error) { cell.textContent = `no proof: ${proof ? proof.error : "not erased"}`; return; }
    const key = (await fetch("/public/checkpoint").then((r) => r.json())).log_public_key;
    const result = await lfrVerify.verifyEvent(proof, proof.checkpoint, key);
    cell.textContent = `key destroyed: ${doc.key_destroyed ? "yes" : "NO"}; erasure event ${result.text}`;
    cell.className = result.ok && doc.key_destroyed ? "ok" : "failed";
  } catch (error) {
    cell.textContent = `FAILED: ${error.message}`;
    cell.className = "failed";
  }
}

async function load() {
  const view = await lfr.api("/dpo/retention");
  document.getElementById("rules").textContent =
    `As of ${lfr.when(view.as_of)}. Alerts: ${view.rules.alert}. Watchlists: ${view.rules.watchlist}. ` +
    `Faces seen without a match: ${view.non_matching_faces.faces_seen}, none stored.`;
  const counts = document.getElementById("counts");
  counts.replaceChildren();
  for (const [status, n] of Object.entries(view.counts)) counts.append(lfr.el("li", `${status}: ${n}`, { class: `count ${status}` }));
  const items = view.items;
  fill("due-rows", items.filter((i) => ["due", "overdue"].includes(i.status)), "Nothing is due.",
    (i) => [short(i.item_id), i.kind.replace("_", " "), i.status, lfr.when(i.deadline), i.rule]);
  fill("held-rows", items.filter((i) => i.status === "held"), "No legal holds.", (i) => {
    const cell = document.createElement("td");
    const button = lfr.el("button", "Lift", { type: "button", class: "small secondary" });
    button.addEventListener("click", () => liftHold(i));
    if (!i.hold.approved_by) {
      const approve = lfr.el("button", "Approve", { type: "button", class: "small" });
      approve.addEventListener("click", () => approveHold(i));
      cell.append(approve, " ");
    }
    cell.append(button);
    const review = i.hold.review_due ? `${i.hold.review_on} (REVIEW DUE)` : i.hold.review_on;
    return [short(i.item_id), i.hold.basis, i.hold.requested_by, i.hold.approved_by || "awaiting approval", review, cell];
  });
  fill("erased-rows", items.filter((i) => i.status === "erased"), "Nothing erased yet.", (i) => {
    const cell = document.createElement("td");
    const button = lfr.el("button", "Check proof", { type: "button", class: "small" });
    const out = lfr.el("output", "");
    button.addEventListener("click", () => showProof(i, out));
    cell.append(button, " ", out);
    return [short(i.item_id), i.kind.replace("_", " "), lfr.when(i.erasure.at), i.erasure.rule || i.rule, cell];
  });
  const log = (await lfr.api("/dpo/consultations?limit=1000")).rows.slice(-50).reverse();
  fill("log-rows", log, "No personal data has been viewed.",
    (r) => [lfr.when(r.at), r.actor_id, r.actor_role, `${r.data_class.replace("_", " ")} ${short(r.item_id)}`, r.justification]);
}

document.addEventListener("DOMContentLoaded", async () => {
  if (!(await lfr.forPage())) return;
  document.getElementById("dpo-page").hidden = false;
  document.getElementById("hold-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    try {
      await lfr.api(`/alerts/${v("hold-alert")}/legal-hold`, { method: "POST",
        body: { basis: v("hold-basis"), reason: v("hold-reason"), review_on: v("hold-review") } });
      lfr.notice("The legal hold is placed.");
      event.target.reset();
      await load();
    } catch (error) {
      lfr.notice(`Not placed: ${error.message}`, "error");
    }
  });
  try { await load(); } catch (error) { lfr.notice(error.message, "error"); }
});
