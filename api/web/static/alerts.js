// The live alert queue of one deployment: server-sent events (read with fetch, so the token
// goes in a header), newest alert on top with its age ticking, a sound and a flash for a new
// one, the images side by side after a justification given once per alert, and decisions by
// button or key that wait a short undo window before they are sent.
"use strict";

const queue = {
  user: null,
  cards: new Map(),      // alert id -> {card, row, justification, pending}
  decided: new Map(),    // alert id -> row, for the "decided" list
  selected: null,
  synced: false,         // the first batch is the backlog: no sound for it
  undoMs: 5000,
  audio: null,
};

const KEYS = { e: ["decision", "engage"], f: ["decision", "false_alert"],
  1: ["outcome", "confirmed_true"], 2: ["outcome", "confirmed_false"], 3: ["outcome", "not_stopped"] };
const words = (value) => (value ? String(value).replaceAll("_", " ") : "–");
const isEngager = () => queue.user.roles.includes("engagement_officer");

function step(row) {
  if (row.state === "pending") return "adjudicate";
  if (row.decision === "engage" && row.state === "adjudicated") return "engage";
  if (row.decision === "engage" && row.state === "concluded" && !row.disposal) return "outcome";
  return null;
}

function age(iso) {
  const s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s ago`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min ago`;
}

function select(id) {
  queue.selected = id;
  for (const [key, { card }] of queue.cards) card.classList.toggle("selected", key === id);
}

function category(row) {
  return row.entry_erased ? "erased entry" : words(row.entry_category);
}

function render(entry) {
  const { card, row } = entry;
  const q = (s) => card.querySelector(s);
  const title = `${category(row)} · ${row.camera_id}`;
  q(".alert-title").textContent = title[0].toUpperCase() + title.slice(1);
  q(".score").textContent = Number(row.score).toFixed(3);
  q(".threshold").textContent = Number(row.threshold).toFixed(3);
  q(".camera").textContent = row.camera_id;
  q(".location").textContent = row.location || "–";
  q(".category").textContent = category(row);
  q(".time").textContent = lfr.when(row.observed_at);
  q(".entry").textContent = entry.reference || "shown with the images";
  q(".state").textContent = row.decision ? `${words(row.state)} (${words(row.decision)})` : words(row.state);
  q(".age").textContent = age(row.observed_at);
  const seen = !!entry.reference || !q(".probe").hidden;
  const now = step(row);
  const waiting = !!entry.pending;
  q(".adjudicate").hidden = now !== "adjudicate" || waiting;
  for (const button of q(".adjudicate").querySelectorAll("button")) button.disabled = !seen;
  q(".adjudicate .why").textContent = seen ? "" : "Engage and False alert open once you have seen both faces: give your reason above.";
  q(".engage").hidden = !(isEngager() && now === "engage") || waiting;
  q(".outcome").hidden = !(isEngager() && now === "outcome") || waiting;
  q(".justify").hidden = seen || !now;
  const confirmed = row.engagement_outcome === "confirmed_true";
  for (const button of q(".outcome").querySelectorAll("button")) {
    button.disabled = button.dataset.disposal !== "no_further_action" && !confirmed;
  }
  q(".outcome .why").textContent = confirmed ? "" :
    `Arrest and other disposals need an engagement confirmed true; this one was recorded as ${words(row.engagement_outcome)}, so only no further action can be recorded.`;
}

function updateCounts() {
  const n = queue.cards.size;
  document.getElementById("waiting-count").textContent = String(n);
  document.getElementById("empty").hidden = n > 0;
  document.title = `${n ? `(${n}) ` : ""}Alert queue · LFR`;
}

function place(card, row) {
  // Newest first: before the first card seen earlier than this one.
  const list = document.getElementById("queue");
  const later = [...list.children].find((c) => queue.cards.get(c.dataset.alert).row.observed_at < row.observed_at);
  list.insertBefore(card, later || null);
}

function beep() {
  if (!document.getElementById("sound").checked) return;
  try {
    queue.audio = queue.audio || new AudioContext();
    const tone = queue.audio.createOscillator();
    const gain = queue.audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, queue.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, queue.audio.currentTime + 0.4);
    tone.connect(gain).connect(queue.audio.destination);
    tone.start();
    tone.stop(queue.audio.currentTime + 0.4);
    document.body.dataset.tones = String(Number(document.body.dataset.tones || 0) + 1);
  } catch (error) { /* no audio device: the flash and the title still tell */ }
}

function arrived(entry) {
  entry.card.classList.add("fresh");
  entry.card.dataset.shownAt = String(Date.now());
  setTimeout(() => entry.card.classList.remove("fresh"), 10000);
  document.getElementById("announce").textContent = `New alert: ${category(entry.row)} on ${entry.row.camera_id}.`;
  beep();
}

function upsert(row) {
  if (!row.actionable) {
    if (!queue.cards.get(row.alert_id)?.pending) remove(row.alert_id);
    decide(row);
    return;
  }
  queue.decided.delete(row.alert_id);
  renderDecided();
  let entry = queue.cards.get(row.alert_id);
  if (!entry) {
    const card = document.getElementById("alert-card").content.firstElementChild.cloneNode(true);
    card.dataset.alert = row.alert_id;
    card.setAttribute("aria-label", `Alert ${row.alert_id.slice(0, 8)}`);
    entry = { card, row, justification: null, pending: null };
    queue.cards.set(row.alert_id, entry);
    wire(entry);
    place(card, row);
    if (queue.synced) arrived(entry);
    if (!queue.selected) select(row.alert_id);
  }
  entry.row = row;
  render(entry);
  updateCounts();
}

function remove(id) {
  const entry = queue.cards.get(id);
  if (!entry) return;
  if (entry.pending) clearTimeout(entry.pending.timer);
  entry.card.remove();
  queue.cards.delete(id);
  if (queue.selected === id) select(document.querySelector("#queue article")?.dataset.alert || null);
  updateCounts();
}

function decide(row) {
  queue.decided.set(row.alert_id, row);
  renderDecided();
}

function renderDecided() {
  const rows = [...queue.decided.values()].sort((a, b) => (a.observed_at < b.observed_at ? 1 : -1));
  document.getElementById("decided-rows").replaceChildren(...rows.map((r) => {
    const tr = lfr.row([lfr.when(r.observed_at), r.camera_id, category(r), Number(r.score).toFixed(3),
      words(r.decision), words(r.engagement_outcome), words(r.disposal)]);
    tr.dataset.alert = r.alert_id;
    return tr;
  }));
  document.getElementById("decided").hidden = rows.length === 0;
  document.getElementById("decided-empty").hidden = rows.length > 0;
}

async function showImages(entry) {
  const say = entry.card.querySelector(".result");
  try {
    const seen = await lfr.api(`/alerts/${entry.row.alert_id}/consultation`, {
      method: "POST", body: { justification: entry.justification },
    });
    for (const [cls, data] of [["probe", seen.probe_image_base64], ["watchlist", seen.watchlist_image_base64]]) {
      const img = entry.card.querySelector(`.${cls}`);
      img.src = `data:image/jpeg;base64,${data}`;
      img.hidden = false;
      img.nextElementSibling.hidden = true;
    }
    // The reference (a name) comes only with the logged consultation, never with the queue.
    entry.reference = seen.watchlist_entry.reference;
    say.textContent = "Images shown; your reason is in the s.62 log.";
    render(entry);
    entry.card.focus();
  } catch (error) {
    say.textContent = `The images cannot be shown: ${error.message}`;
  }
}

// What a key or button asks for: the request to send, or the reason it cannot be sent.
function request(entry, kind, value) {
  const q = (s) => entry.card.querySelector(s);
  const id = entry.row.alert_id;
  if (kind === "decision") {
    if (q(".adjudicate").hidden) return null;
    if (q(".adjudicate button").disabled) return { refused: q(".adjudicate .why").textContent };
    return { path: `/alerts/${id}/adjudication`, body: { decision: value }, label: words(value) };
  }
  if (kind === "outcome") {
    if (q(".engage").hidden) return null;
    const minutes = q("[name=minutes]").value;
    if (minutes === "" || Number(minutes) < 0) return { refused: "Enter how many minutes the engagement took first." };
    const body = { outcome: value, duration_s: Number(minutes) * 60,
      told_why: q("[name=told_why]").checked, leaflet_given: q("[name=leaflet_given]").checked };
    return { path: `/alerts/${id}/engagement`, body, label: `engagement ${words(value)}` };
  }
  if (q(".outcome").hidden) return null;
  const button = q(`[data-disposal="${value}"]`);
  if (button.disabled) return { refused: q(".outcome .why").textContent };
  const reason = q("[name=reason]").value.trim();
  if (!reason) return { refused: "Give the reason for the outcome first." };
  return { path: `/alerts/${id}/outcome`, body: { disposal: value, reason }, label: `outcome ${words(value)}` };
}

// A decision waits `undoMs` (counting down on the card) before it is sent; Undo drops it.
function act(entry, kind, value) {
  const say = entry.card.querySelector(".result");
  if (entry.pending) return;
  const asked = request(entry, kind, value);
  if (!asked) return;
  if (asked.refused) { say.textContent = asked.refused; return; }
  const deadline = Date.now() + queue.undoMs;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    entry.card.querySelector(".pending-text").textContent = `${asked.label[0].toUpperCase()}${asked.label.slice(1)}: sent in ${left} s.`;
  };
  entry.pending = { ...asked, kind, timer: setTimeout(() => commit(entry), queue.undoMs), ticker: setInterval(tick, 250) };
  tick();
  say.textContent = "";
  entry.card.querySelector(".pending").hidden = false;
  entry.card.classList.add("waiting");
  render(entry);
  entry.card.querySelector(".undo").focus();
}

function settle(entry) {
  clearTimeout(entry.pending.timer);
  clearInterval(entry.pending.ticker);
  entry.pending = null;
  entry.card.querySelector(".pending").hidden = true;
  entry.card.classList.remove("waiting");
}

function undo(entry) {
  if (!entry.pending) return;
  const label = entry.pending.label;
  settle(entry);
  entry.card.querySelector(".result").textContent = `Undone: ${label} was not sent.`;
  render(entry);
  entry.card.focus();
}

async function commit(entry) {
  const { path, body, label, kind } = entry.pending;
  settle(entry);
  const say = entry.card.querySelector(".result");
  try {
    await lfr.api(path, { method: "POST", body });
    say.textContent = `Recorded: ${label}.`;
    const done = kind === "decision" && (!isEngager() || body.decision === "false_alert");
    if (done || kind === "disposal") {
      // Moved to "decided" at once; the stream's next row for it brings the rest.
      remove(entry.row.alert_id);
      decide({ ...entry.row, state: "adjudicated", decision: entry.row.decision || body.decision,
        disposal: body.disposal || entry.row.disposal });
    }
  } catch (error) {
    say.textContent = `Not recorded: ${error.message}`;
    render(entry);
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
  for (const [attr, kind] of [["decision", "decision"], ["outcome", "outcome"], ["disposal", "disposal"]]) {
    for (const button of card.querySelectorAll(`[data-${attr}]`)) {
      button.addEventListener("click", () => act(entry, kind, button.dataset[attr]));
    }
  }
  card.querySelector(".undo").addEventListener("click", () => undo(entry));
}

function onKey(event) {
  const typing = event.target.closest("input, textarea, select");
  const key = event.key.toLowerCase();
  if (typing || event.ctrlKey || event.metaKey || event.altKey || !queue.selected) return;
  const entry = queue.cards.get(queue.selected);
  if (key === "u") { event.preventDefault(); undo(entry); return; }
  const binding = KEYS[key];
  if (!binding) return;
  event.preventDefault();
  act(entry, ...binding);
}

// Reads the event stream; reconnects after a pause when it ends or fails.
async function listen(deployment) {
  const state = document.getElementById("stream-state");
  const url = `/web/api/alerts/stream?deployment_id=${encodeURIComponent(deployment)}`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${lfr.token()}`, Accept: "text/event-stream" } });
    if (!response.ok) {
      const detail = await response.json().catch(() => ({}));
      throw new Error(detail.detail || `${response.status}`);
    }
    state.textContent = "Live: new alerts appear on top as they are raised.";
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
  else if (kind === "synced") queue.synced = true; // what came before was the backlog
  else if (kind === "gone") { remove(JSON.parse(data).alert_id); queue.decided.delete(JSON.parse(data).alert_id); renderDecided(); }
}

async function picker(chosen) {
  const select = document.getElementById("deployment");
  let rows = [];
  try {
    rows = (await lfr.api("/web/api/deployments")).rows;
  } catch (error) {
    lfr.notice(`The deployments cannot be listed: ${error.message}`, "error");
  }
  for (const d of rows) {
    const label = `${d.location} (${d.borough}) · ${words(d.status)} · ${lfr.when(d.starts_at)}`;
    select.append(lfr.el("option", label, { value: d.id }));
  }
  select.value = chosen;
  const help = document.getElementById("picker-help");
  if (!rows.length) help.textContent = "You are not appointed to any deployment: ask its Gold commander to add you to its command structure.";
  const live = rows.filter((d) => d.status === "live");
  if (!chosen && live.length === 1) location.replace(`/web/alerts?deployment_id=${live[0].id}`);
  return rows.find((d) => d.id === chosen);
}

document.addEventListener("DOMContentLoaded", async () => {
  queue.user = await lfr.forPage();
  if (!queue.user) return;
  const page = document.getElementById("queue-page");
  queue.undoMs = Number(page.dataset.undoS || 5) * 1000;
  page.hidden = false;
  const chosen = page.dataset.deployment;
  const deployment = await picker(chosen);
  if (!chosen) return;
  if (!deployment) {
    lfr.notice("You are not appointed to this deployment, or it does not exist: choose one of yours.", "error");
    return;
  }
  document.getElementById("working").hidden = false;
  for (const hint of page.querySelectorAll("[data-engager]")) hint.hidden = !isEngager();
  document.addEventListener("keydown", onKey);
  // A decision still in its undo window is not sent if the page is left: say so first.
  window.addEventListener("beforeunload", (event) => {
    if ([...queue.cards.values()].some((entry) => entry.pending)) event.preventDefault();
  });
  setInterval(() => {
    for (const { card, row } of queue.cards.values()) card.querySelector(".age").textContent = age(row.observed_at);
  }, 1000);
  updateCounts();
  listen(chosen);
});
