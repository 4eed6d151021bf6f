// The DPO's view: what is live, due, overdue and held (each with its actions: hold an alert
// chosen from the list, erase now), erasures with their ledger proofs (checked here), and
// the whole s.62 log of who viewed personal data and why, a page at a time.
"use strict";

const short = (id) => String(id).slice(0, 8);
const words = (text) => String(text || "–").replaceAll("_", " ");
const LOG_PAGE = 50;
const log = { starts: [0], next: null }; // `after` of each page seen, for Previous

function fill(id, rows, empty, cells) {
  const body = document.getElementById(id);
  body.replaceChildren();
  for (const r of rows) body.append(lfr.row(cells(r)));
  if (!rows.length) body.append(lfr.row([empty]));
}

// Asks for a reason (or a confirmation) in a dialog; resolves to the text or null.
function ask(title, label, value = "") {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-h").textContent = title;
  document.getElementById("confirm-label").textContent = label;
  const input = document.getElementById("confirm-text");
  input.value = value;
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? input.value.trim() || null : null), { once: true });
  });
}

async function run(path, body, done, failed) {
  try {
    await lfr.api(path, { method: "POST", body });
    lfr.notice(done);
    await load();
  } catch (error) {
    lfr.notice(`${failed}: ${error.message}`, "error");
  }
}

async function liftHold(item) {
  const reason = await ask(`Lift the hold on alert ${short(item.item_id)}`, "Reason for lifting the hold");
  if (reason) await run(`/alerts/${item.item_id}/legal-hold/lift`, { reason }, "The legal hold is lifted.", "Not lifted");
}

async function erase(item) {
  const what = `${words(item.kind)} ${short(item.item_id)}`;
  const rule = await ask(`Erase ${what} now`, "The retention rule you are applying (its key is destroyed: this cannot be undone)", item.rule);
  if (!rule) return;
  const path = item.kind === "alert" ? `/alerts/${item.item_id}/erasure` : `/watchlist/entries/${item.item_id}/erasure`;
  await run(path, { rule }, `${what} is erased.`, "Not erased");
}

function chooseForHold(item) {
  document.getElementById("hold-alert").value = item.item_id;
  document.getElementById("hold-reason").focus();
}

function actions(item) {
  const cell = document.createElement("td");
  const add = (text, handler, cls = "small secondary") => {
    const button = lfr.el("button", text, { type: "button", class: cls, "aria-label": `${text}: ${words(item.kind)} ${short(item.item_id)}` });
    button.addEventListener("click", handler);
    cell.append(button, " ");
  };
  if (item.kind === "alert" && item.status !== "held") add("Hold", () => chooseForHold(item));
  add("Erase", () => erase(item), "small danger");
  return cell;
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

function holdChoices(items) {
  const select = document.getElementById("hold-alert");
  const chosen = select.value;
  select.replaceChildren(lfr.el("option", "Choose an alert…", { value: "" }));
  for (const i of items.filter((i) => i.kind === "alert" && ["live", "due", "overdue"].includes(i.status))) {
    select.append(lfr.el("option", `Alert ${short(i.item_id)} · ${i.status} · erased by ${lfr.when(i.deadline)}`, { value: i.item_id }));
  }
  select.value = chosen;
}

async function load() {
  const view = await lfr.api("/dpo/retention");
  document.getElementById("rules").textContent =
    `As of ${lfr.when(view.as_of)}. Alerts: ${words(view.rules.alert)}. Watchlists: ${words(view.rules.watchlist)}. ` +
    `Faces seen without a match: ${view.non_matching_faces.faces_seen}, none stored.`;
  const counts = document.getElementById("counts");
  counts.replaceChildren();
  for (const [status, n] of Object.entries(view.counts)) counts.append(lfr.el("li", `${status}: ${n}`, { class: `count ${status}` }));
  const items = view.items;
  fill("due-rows", items.filter((i) => ["due", "overdue"].includes(i.status)), "Nothing is due.",
    (i) => [short(i.item_id), words(i.kind), i.status, lfr.when(i.deadline), words(i.rule), actions(i)]);
  fill("live-rows", items.filter((i) => i.status === "live"), "No personal data is held now.",
    (i) => [short(i.item_id), words(i.kind), short(i.deployment_id), i.deadline ? lfr.when(i.deadline) : "the deployment's end + the rule", words(i.rule), actions(i)]);
  holdChoices(items);
  fill("held-rows", items.filter((i) => i.status === "held"), "No legal holds.", (i) => {
    const cell = document.createElement("td");
    if (!i.hold.approved_by) {
      const approve = lfr.el("button", "Approve", { type: "button", class: "small" });
      approve.addEventListener("click", () => run(`/alerts/${i.item_id}/legal-hold/approval`, {}, "The legal hold is approved.", "Not approved"));
      cell.append(approve, " ");
    }
    const lift = lfr.el("button", "Lift", { type: "button", class: "small secondary" });
    lift.addEventListener("click", () => liftHold(i));
    cell.append(lift);
    const review = i.hold.review_due ? `${i.hold.review_on} (review due)` : i.hold.review_on;
    return [short(i.item_id), words(i.hold.basis), i.hold.requested_by, i.hold.approved_by || "awaiting approval", review, cell];
  });
  fill("erased-rows", items.filter((i) => i.status === "erased"), "Nothing erased yet.", (i) => {
    const cell = document.createElement("td");
    const button = lfr.el("button", "Check proof", { type: "button", class: "small" });
    const out = lfr.el("output", "");
    button.addEventListener("click", () => showProof(i, out));
    cell.append(button, " ", out);
    return [short(i.item_id), words(i.kind), lfr.when(i.erasure.at), words(i.erasure.rule || i.rule), cell];
  });
  await showLog(log.starts[log.starts.length - 1]);
}

// The s.62 log in the store's order, LOG_PAGE entries a page; the API pages by `after`.
async function showLog(after) {
  const rows = (await lfr.api(`/dpo/consultations?after=${after}&limit=${LOG_PAGE + 1}`)).rows;
  const page = rows.slice(0, LOG_PAGE);
  log.next = rows.length > LOG_PAGE ? page[page.length - 1].notification_id : null;
  const number = log.starts.length;
  fill("log-rows", page, "No personal data has been viewed.",
    (r) => [String(r.notification_id), lfr.when(r.at), r.actor_id, lfr.roleWords([r.actor_role]), `${words(r.data_class)} ${short(r.item_id)}`, r.justification]);
  document.getElementById("log-range").textContent = page.length
    ? `Page ${number}: entries ${(number - 1) * LOG_PAGE + 1} to ${(number - 1) * LOG_PAGE + page.length}, oldest first${log.next ? "" : " (the last page)"}.`
    : "";
  document.getElementById("log-prev").disabled = number === 1;
  document.getElementById("log-first").disabled = number === 1;
  document.getElementById("log-next").disabled = log.next === null;
}

function pager() {
  document.getElementById("log-next").addEventListener("click", () => {
    if (log.next === null) return;
    log.starts.push(log.next);
    showLog(log.next);
  });
  document.getElementById("log-prev").addEventListener("click", () => {
    if (log.starts.length > 1) log.starts.pop();
    showLog(log.starts[log.starts.length - 1]);
  });
  document.getElementById("log-first").addEventListener("click", () => {
    log.starts = [0];
    showLog(0);
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  if (!(await lfr.forPage())) return;
  document.getElementById("dpo-page").hidden = false;
  pager();
  document.getElementById("hold-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    await run(`/alerts/${v("hold-alert")}/legal-hold`,
      { basis: v("hold-basis"), reason: v("hold-reason"), review_on: v("hold-review") },
      "The legal hold is placed; another DPO approves it.", "Not placed");
    if (!document.getElementById("notice").classList.contains("error")) event.target.reset();
  });
  try { await load(); } catch (error) { lfr.notice(error.message, "error"); }
});
