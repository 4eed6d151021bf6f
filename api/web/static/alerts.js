// The live alert queue: server-sent events (read with fetch, so the token goes in a header),
// the images side by side after a justification given once per alert, and decisions by
// button or key.
"use strict";

const queue = {
  user: null,
  cards: new Map(),      // alert id -> {card, row, justification}
  selected: null,
};

const KEYS = { e: ["decision", "engage"], f: ["decision", "false_alert"],
  1: ["outcome", "confirmed_true"], 2: ["outcome", "confirmed_false"], 3: ["outcome", "not_stopped"] };

const isEngager = () => queue.user.roles.includes("engagement_officer");

function step(row) {
  if (row.state === "pending") return "adjudicate";
  if (row.decision === "engage" && row.state === "adjudicated") return "engage";
  if (row.decision === "engage" && row.state === "concluded" && !row.disposal) return "outcome";
  return null;
}

function select(id) {
  queue.selected = id;
  for (const [key, { card }] of queue.cards) card.classList.toggle("selected", key === id);
}

function render(entry) {
  const { card, row } = entry;
  const q = (s) => card.querySelector(s);
  q(".alert-title").textContent = `Alert on ${row.camera_id}: ${row.entry_erased ? "erased entry" : (row.entry_category || "").replaceAll("_", " ")}`;
  q(".score").textContent = Number(row.score).toFixed(3);
  q(".threshold").textContent = Number(row.threshold).toFixed(3);
  q(".camera").textContent = row.camera_id;
  q(".time").textContent = lfr.when(row.observed_at);
  q(".entry").textContent = entry.reference || (row.entry_category ? row.entry_category.replaceAll("_", " ") : "–");
  q(".state").textContent = row.decision ? `${row.state} (${row.decision.replace("_", " ")})` : row.state;
  const seen = !q(".faces").hidden;
  const now = step(row);
  q(".adjudicate").hidden = !(seen && now === "adjudicate");
  q(".engage").hidden = !(isEngager() && now === "engage");
  q(".outcome").hidden = !(isEngager() && now === "outcome");
  q(".justify").hidden = seen || now !== "adjudicate";
  for (const button of q(".outcome").querySelectorAll("button")) {
    button.disabled = button.dataset.disposal !== "no_further_action" && row.engagement_outcome !== "confirmed_true";
  }
}

function upsert(row) {
  let entry = queue.cards.get(row.alert_id);
  if (!entry) {
    const card = document.getElementById("alert-card").content.firstElementChild.cloneNode(true);
    card.dataset.alert = row.alert_id;
    card.setAttribute("aria-label", `Alert ${row.alert_id.slice(0, 8)}`);
    entry = { card, row, justification: null };
    queue.cards.set(row.alert_id, entry);
    wire(entry);
    document.getElementById("queue").append(card);
    if (!queue.selected) select(row.alert_id);
  }
  entry.row = row;
  render(entry);
  document.getElementById("empty").hidden = queue.cards.size > 0;
}

function remove(id) {
  const entry = queue.cards.get(id);
  if (!entry) return;
  entry.card.remove();
  queue.cards.delete(id);
  if (queue.selected === id) select(queue.cards.keys().next().value || null);
  document.getElementById("empty").hidden = queue.cards.size > 0;
}

async function showImages(entry) {
  const say = entry.card.querySelector(".result");
  try {
    const seen = await lfr.api(`/alerts/${entry.row.alert_id}/consultation`, {
      method: "POST", body: { justification: entry.justification },
    });
    entry.card.querySelector(".probe").src = `data:image/jpeg;base64,${seen.probe_image_base64}`;
    entry.card.querySelector(".watchlist").src = `data:image/jpeg;base64,${seen.watchlist_image_base64}`;
    entry.card.querySelector(".faces").hidden = false;
    // The reference (a name) comes only with the logged consultation, never with the queue.
    entry.reference = seen.watchlist_entry.reference;
    say.textContent = "Images shown; your reason is in the s.62 log.";
    render(entry);
    entry.card.focus();
  } catch (error) {
    say.textContent = `The images cannot be shown: ${error.message}`;
  }
}

async function act(entry, kind, value) {
  const id = entry.row.alert_id;
  const say = entry.card.querySelector(".result");
  try {
    if (kind === "decision") {
      if (entry.card.querySelector(".adjudicate").hidden) return;
      await lfr.api(`/alerts/${id}/adjudication`, { method: "POST", body: { decision: value } });
      say.textContent = `Recorded: ${value.replace("_", " ")}.`;
      if (!isEngager() || value === "false_alert") remove(id);
    } else if (kind === "outcome") {
      if (entry.card.querySelector(".engage").hidden) return;
      const minutes = Number(entry.card.querySelector("[name=minutes]").value || 0);
      const told_why = entry.card.querySelector("[name=told_why]").checked;
      const leaflet_given = entry.card.querySelector("[name=leaflet_given]").checked;
      await lfr.api(`/alerts/${id}/engagement`, { method: "POST",
        body: { outcome: value, duration_s: minutes * 60, told_why, leaflet_given } });
      say.textContent = `Engagement recorded: ${value.replace("_", " ")}.`;
    } else if (kind === "disposal") {
      const reason = entry.card.querySelector("[name=reason]").value.trim();
      if (!reason) { say.textContent = "Give the reason for the outcome first."; return; }
      await lfr.api(`/alerts/${id}/outcome`, { method: "POST", body: { disposal: value, reason } });
      say.textContent = `Outcome recorded: ${value.replaceAll("_", " ")}.`;
      remove(id);
    }
  } catch (error) {
    say.textContent = `Not recorded: ${error.message}`;
  }
}

function wire(entry) {
  const { card } = entry;
  card.addEventListener("focusin", () => select(entry.row.alert_id));
  card.addEventListener("click", () => select(entry.row.alert_id));
  card.querySelector(".justify").addEventListener("submit", (event) => {
    event.preventDefault();
    entry.justification = event.target.elements.justification.value.trim();
    if (entry.justification) showImages(entry);
  });
  for (const button of card.querySelectorAll("[data-decision]")) {
    button.addEventListener("click", () => act(entry, "decision", button.dataset.decision));
  }
  for (const button of card.querySelectorAll("[data-outcome]")) {
    button.addEventListener("click", () => act(entry, "outcome", button.dataset.outcome));
  }
  for (const button of card.querySelectorAll("[data-disposal]")) {
    button.addEventListener("click", () => act(entry, "disposal", button.dataset.disposal));
  }
}

function onKey(event) {
  const typing = event.target.closest("input, textarea, select");
  const binding = KEYS[event.key.toLowerCase()];
  if (typing || !binding || event.ctrlKey || event.metaKey || event.altKey || !queue.selected) return;
  event.preventDefault();
  act(queue.cards.get(queue.selected), ...binding);
}

// Reads the event stream; reconnects after a pause when it ends or fails.
async function listen(deployment) {
  const state = document.getElementById("stream-state");
  const url = `/web/api/alerts/stream${deployment ? `?deployment_id=${deployment}` : ""}`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${lfr.token()}`, Accept: "text/event-stream" } });
    if (!response.ok) throw new Error(`${response.status}`);
    state.textContent = "Live: new alerts appear as they are raised.";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (error) {
    state.textContent = `The live queue is interrupted (${error.message}); reconnecting…`;
  }
  setTimeout(() => listen(deployment), 2000);
}

function dispatch(message) {
  let kind = "message";
  let data = "";
  for (const line of message.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (kind === "alert") upsert(JSON.parse(data));
  else if (kind === "gone") remove(JSON.parse(data).alert_id);
}

document.addEventListener("DOMContentLoaded", async () => {
  queue.user = await lfr.forPage();
  if (!queue.user) return;
  const page = document.getElementById("queue-page");
  page.hidden = false;
  for (const hint of page.querySelectorAll("[data-engager]")) hint.hidden = !isEngager();
  document.addEventListener("keydown", onKey);
  listen(page.dataset.deployment);
});
