// A deployment in the order of the process: the command structure, the pre-deployment
// checks, the watchlist (upload, compile, review; the operator imports it), start, pause and
// end, the cancellation report and publication. The next step is always shown on top; the
// Gold commander acts here, the others see where it stands. The API enforces who may act.
"use strict";

const page = document.getElementById("deployment-page");
const CHECKS = JSON.parse(page.dataset.checks);
const words = (text) => String(text || "–").replaceAll("_", " ");
const ENDED = ["ended", "reported", "published"];

async function showList() {
  const rows = (await lfr.api("/web/api/deployments")).rows;
  const body = document.getElementById("list-rows");
  body.replaceChildren();
  for (const d of rows) {
    const cell = document.createElement("td");
    cell.append(lfr.el("a", d.location, { href: `/web/deployments/${d.id}` }));
    body.append(lfr.row([cell, d.borough, words(d.status), lfr.when(d.starts_at), lfr.when(d.ends_at)]));
  }
  if (!rows.length) body.append(lfr.row(["You are not appointed to any deployment."]));
  document.getElementById("list").hidden = false;
}

// The steps, each done or not, with where its section is; the first not done is next.
function steps(d) {
  const checked = CHECKS.filter(([key]) => d.checks[key]).length;
  const wl = d.watchlist_state;
  return [
    ["command", "Appoint the command structure", Object.keys(d.command).length > 0],
    ["checks", `Record the pre-deployment checks (${checked} of ${CHECKS.length} done)`, checked === CHECKS.length],
    ["watchlist", {
      none: "Upload the watchlist and compile it", compiled: "Review the compiled watchlist",
      reviewed: "The operator imports the reviewed watchlist", imported: "Watchlist imported", erased: "Watchlist erased",
    }[wl] || words(wl), ["imported", "erased"].includes(wl)],
    ["live", d.status === "planned" ? "Start the deployment" : "Pause, resume or end the deployment", ENDED.includes(d.status)],
    ["report", "Submit the cancellation report", ["reported", "published"].includes(d.status)],
    ["publish", "Publish the register entry", d.status === "published"],
  ];
}

function showProcess(d) {
  const list = document.getElementById("process");
  list.replaceChildren();
  const all = steps(d);
  const next = all.find(([, , done]) => !done);
  for (const [key, text, done] of all) {
    const li = lfr.el("li", "", { class: done ? "done" : (next && next[0] === key ? "next" : "later") });
    li.append(lfr.el("a", text, { href: `#step-${key}` }), lfr.el("span", done ? " · done" : (next && next[0] === key ? " · next" : " · to do"), { class: "tag" }));
    list.append(li);
  }
  const box = document.getElementById("next-step");
  box.replaceChildren();
  if (next) {
    box.append(lfr.el("strong", "Next step: "), lfr.el("a", next[1], { href: `#step-${next[0]}` }));
  } else {
    box.append(lfr.el("strong", "Every step is done: "), lfr.el("a", "see it in the public register", { href: `/web/register/${d.id}` }));
  }
}

function showFacts(d) {
  const facts = document.getElementById("facts");
  facts.replaceChildren();
  for (const [term, value] of [["Location", `${d.location.name}, ${d.location.borough}`], ["Use case", d.use_case],
    ["Status", words(d.status)], ["From", lfr.when(d.starts_at)], ["Until", lfr.when(d.ends_at)],
    ["Threshold", d.threshold ? d.threshold.toFixed(2) : "–"], ["Cameras", d.cameras.join(", ")],
    ["Watchlist", `${words(d.watchlist_state)}${d.watchlist_size ? `, ${d.watchlist_size} entries` : ""}`]]) {
    const div = document.createElement("div");
    div.append(lfr.el("dt", term), lfr.el("dd", value));
    facts.append(div);
  }
}

function showSteps(d, gold) {
  const show = (id, when) => { document.getElementById(id).hidden = !(gold && when); };
  const planned = d.status === "planned";
  const members = Object.entries(d.command).map(([role, ids]) => `${words(role)}: ${ids.join(", ")}`).join("; ");
  document.getElementById("command-state").textContent = members ? `Appointed: ${members}.` : "Not yet appointed.";
  show("command-form", planned);
  const checks = document.getElementById("checks");
  checks.replaceChildren(...CHECKS.map(([key, label]) => lfr.el("li", d.checks[key] ? `${label}: done (${d.checks[key]})` : `${label}: not yet recorded`, { class: d.checks[key] ? "done" : "" })));
  show("check-form", planned);
  const wl = d.watchlist_state;
  document.getElementById("watchlist-state").textContent = {
    none: "No watchlist compiled yet: upload the entries, then compile.",
    compiled: `Compiled (${d.watchlist_size} entries, version ${String(d.watchlist_version).slice(0, 12)}): review it.`,
    reviewed: "Reviewed: the operator imports it into the LFR system (their step).",
    imported: `Imported: ${d.watchlist_size} entries.`, erased: "Erased after the deployment.",
  }[wl] || words(wl);
  show("upload-form", wl === "none");
  show("compile-form", wl === "none");
  show("review-form", wl === "compiled");
  document.getElementById("live-state").textContent = d.started_at
    ? `Started ${lfr.when(d.started_at)}${d.ended_at ? `; ended ${lfr.when(d.ended_at)}` : ""}. Now ${words(d.status)}.`
    : "Not started. It can start once the steps above are done, within the authorised window.";
  show("start-form", planned);
  show("control-form", ["planned", "live", "paused"].includes(d.status));
  const act = (name) => document.querySelector(`#control-form [data-act=${name}]`);
  act("pause").hidden = d.status !== "live";
  act("resume").hidden = d.status !== "paused";
  act("end").hidden = !["live", "paused"].includes(d.status);
  act("cancellation").hidden = !planned;
  document.getElementById("cameras").replaceChildren(...d.cameras.map((c) => {
    const label = lfr.el("label", "", { class: "check" });
    const box = lfr.el("input", undefined, { type: "checkbox", name: "camera", value: c });
    box.checked = true;
    label.append(box, ` ${c}`);
    return label;
  }));
  const reported = Object.keys(d.report || {}).length > 0;
  document.getElementById("report-state").textContent = reported ? "Submitted." : (ENDED.includes(d.status) ? "Due now that the deployment has ended." : "Written once the deployment has ended.");
  document.getElementById("report-links").hidden = !reported;
  show("report-form", d.status === "ended");
  document.getElementById("publish-state").textContent = d.status === "published" ? "Published." : "Published once the report is submitted.";
  show("publish-form", d.status === "reported");
}

async function load(id) {
  const user = await lfr.me();
  const d = await lfr.api(`/deployments/${id}`);
  const heading = `Deployment at ${d.location.name}`;
  document.querySelector("h1").textContent = heading;
  document.title = `${heading} · LFR`;
  showFacts(d);
  showProcess(d);
  showSteps(d, user.roles.includes("gold"));
  document.getElementById("detail").hidden = false;
  return d;
}

async function post(id, path, body, done) {
  try {
    await lfr.api(`/deployments/${id}/${path}`, { method: "POST", body });
    lfr.notice(done);
    await load(id);
    return true;
  } catch (error) {
    lfr.notice(`Not done: ${error.message}`, "error");
    return false;
  }
}

async function upload(id, file) {
  const data = new FormData();
  data.append("files", file, file.name);
  const response = await fetch(`/deployments/${id}/watchlist/uploads`, {
    method: "POST", body: data, headers: { Authorization: `Bearer ${lfr.token()}` } });
  let job = await response.json();
  if (!response.ok) throw new Error(job.detail || response.statusText);
  const bar = document.getElementById("upload-bar");
  const text = document.getElementById("upload-text");
  document.getElementById("upload-progress").hidden = false;
  const started = Date.now();
  while (["queued", "running"].includes(job.state)) {
    bar.max = job.total || 1;
    bar.value = job.done;
    const rate = job.done / ((Date.now() - started) / 1000 || 1);
    const eta = rate > 0 && job.total ? ` About ${Math.ceil((job.total - job.done) / rate)} s left.` : "";
    text.textContent = `${job.done} of ${job.total || "?"} folders read.${eta}`;
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await lfr.api(`/watchlist/uploads/${job.job_id}`);
  }
  bar.max = job.total || 1;
  bar.value = job.done;
  text.textContent = `${job.state}: ${Object.keys(job.added).length} added, ${job.refused.length} refused.${job.error ? ` ${job.error}` : ""}`;
  document.getElementById("upload-refused").replaceChildren(...job.refused.map((r) => lfr.el("li", `row ${r.row} refused (its folder and reason: read the report under s.62)`)));
  const form = document.getElementById("upload-report-form");
  form.dataset.job = job.job_id;
  form.hidden = false;
}

async function readUploadReport(form) {
  try {
    const report = await lfr.api(`/watchlist/uploads/${form.dataset.job}/report`, {
      method: "POST", body: { justification: document.getElementById("upload-report-why").value.trim() } });
    document.getElementById("upload-report-rows").replaceChildren(...report.rows.map((r) =>
      lfr.row([r.row, r.folder, r.entry_id ? "added" : `refused: ${r.reason}`])));
  } catch (error) {
    lfr.notice(`The report cannot be read: ${error.message}`, "error");
  }
}

async function openReport(id, pdf) {
  // The report needs the token, so it is fetched here and opened from memory.
  const response = await fetch(`/deployments/${id}/cancellation-report${pdf ? ".pdf" : ""}`, {
    headers: { Authorization: `Bearer ${lfr.token()}` } });
  if (!response.ok) { lfr.notice(`The report cannot be opened: ${response.status}`, "error"); return; }
  const url = URL.createObjectURL(await response.blob());
  const link = lfr.el("a", "", { href: url, target: "_blank", rel: "noopener" });
  if (pdf) link.download = `cancellation-report-${id}.pdf`;
  document.body.append(link);
  link.click();
  link.remove();
}

function wire(id) {
  const value = (el) => document.getElementById(el).value.trim();
  const ids = (el) => value(el).split(",").map((s) => s.trim()).filter(Boolean);
  const on = (form, handler) => document.getElementById(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    await handler(event);
  });
  on("command-form", () => post(id, "command", { members: { operators: ids("operators"), engagement: ids("engagers") } }, "The command structure is appointed."));
  on("check-form", async (event) => {
    if (await post(id, "checks", { check: value("check"), detail: value("check-detail") }, "The check is recorded.")) event.target.reset();
  });
  on("upload-form", async () => {
    try {
      await upload(id, document.getElementById("upload-files").files[0]);
      await load(id);
    } catch (error) {
      lfr.notice(`Not uploaded: ${error.message}`, "error");
    }
  });
  on("upload-report-form", (event) => readUploadReport(event.target));
  on("compile-form", async () => {
    const rows = (await lfr.api(`/web/api/deployments/${id}/watchlist`)).rows;
    if (!rows.length) { lfr.notice("Upload the entries first: there is nothing to compile.", "error"); return; }
    await post(id, "watchlist/compilation", { entry_ids: rows.map((r) => r.id) }, `The watchlist is compiled from ${rows.length} entries.`);
  });
  on("review-form", () => post(id, "watchlist/review", { notes: value("review-notes") }, "The review is recorded."));
  on("start-form", () => post(id, "start", { cameras: Array.from(document.querySelectorAll("#cameras input:checked"), (c) => c.value) }, "The deployment is live."));
  on("control-form", (event) => {
    const act = event.submitter.dataset.act;
    const reason = value("control-reason");
    if (act !== "resume" && !reason) { lfr.notice("Give the reason first.", "error"); return null; }
    return post(id, act, act === "resume" ? undefined : { reason }, { pause: "Paused.", resume: "Resumed.", end: "The deployment has ended.", cancellation: "The deployment is cancelled." }[act]);
  });
  on("report-form", () => post(id, "cancellation-report", { evaluation: value("r-evaluation"), learning: value("r-learning"),
    algorithm_assurance: value("r-assurance"), notes: value("r-notes") }, "The cancellation report is submitted."));
  on("publish-form", () => post(id, "register-entry", undefined, "The register entry is published."));
  document.getElementById("open-report").addEventListener("click", () => openReport(id, false));
  document.getElementById("open-report-pdf").addEventListener("click", () => openReport(id, true));
  document.getElementById("upload-files").addEventListener("change", () => {
    document.getElementById("compile-text").textContent = "";
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  const user = await lfr.forPage();
  if (!user) return;
  page.hidden = false;
  const id = page.dataset.deployment;
  try {
    if (!id) return await showList();
    wire(id);
    const d = await load(id);
    const rows = (await lfr.api(`/web/api/deployments/${id}/watchlist`).catch(() => ({ rows: [] }))).rows;
    document.getElementById("compile-text").textContent = d.watchlist_state === "none"
      ? `${rows.length} entries uploaded so far.` : "";
  } catch (error) {
    lfr.notice(error.message, "error");
  }
});
