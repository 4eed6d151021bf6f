// Applications: the list, then one application's 8 sections, the AO's 7 decisions with
// their rationale, and the watchlist with sensitive entries flagged. The AO can decide here.
"use strict";

const page = document.getElementById("applications-page");
const SECTIONS = JSON.parse(page.dataset.sections);
const DECISIONS = JSON.parse(page.dataset.decisions);
const FLAGS = Object.fromEntries(JSON.parse(page.dataset.flags));

// The next step of an application, in words, for whoever is looking.
function nextStep(a, deploymentId) {
  const intel = Object.keys(a.intelligence_case || {}).length > 0;
  switch (a.status) {
    case "need_identified": return intel ? ["Applicant: write the 8 sections and submit them to the AO", "#submission-form"] : ["Applicant: submit the intelligence case", "#intel-form"];
    case "amendments_requested": return ["Applicant: amend the application as the AO asked, and resubmit it", "#submission-form"];
    case "submitted": return ["Authorising officer: grant the Written Authority, ask for amendments or reject", "#authority-form"];
    case "granted": case "urgent": return ["Gold commander: prepare and run the deployment", `/web/deployments/${deploymentId}`];
    default: return [`Nothing further: the application is ${a.status.replaceAll("_", " ")}`, ""];
  }
}

function showNext(text, href) {
  const box = document.getElementById("next-step");
  box.replaceChildren(lfr.el("strong", "Next step: "));
  box.append(href ? lfr.el("a", text, { href }) : text);
  box.hidden = false;
}

function prepareApplicant(id, a) {
  const intel = document.getElementById("intel-form");
  const hasIntel = Object.keys(a.intelligence_case || {}).length > 0;
  const open = ["need_identified", "amendments_requested"].includes(a.status);
  intel.hidden = !open || hasIntel;
  intel.onsubmit = async (event) => {
    event.preventDefault();
    await act(`/applications/${id}/intelligence-case`, { reference: value("intel-ref"), summary: value("intel-summary") }, "The intelligence case is submitted.");
  };
  const form = document.getElementById("submission-form");
  form.hidden = !open || !hasIntel;
  const notes = document.getElementById("amendment-notes");
  notes.hidden = !a.amendment_notes.length;
  notes.textContent = `The AO asked: ${a.amendment_notes.join(" · ")}`;
  const p = a.proposal || {};
  if (p.location) {
    for (const [field, v] of [["p-name", p.location.name], ["p-borough", p.location.borough], ["p-lat", p.location.latitude ?? ""],
      ["p-lon", p.location.longitude ?? ""], ["p-start", (p.starts_at || "").slice(0, 16)], ["p-end", (p.ends_at || "").slice(0, 16)],
      ["p-cameras", (p.cameras || []).join(", ")], ["p-size", p.watchlist_max_size], ["p-threshold", p.threshold]]) {
      document.getElementById(field).value = v;
    }
    for (const box of form.querySelectorAll("[name=category]")) box.checked = (p.watchlist_categories || []).includes(box.value);
    for (const box of form.querySelectorAll("[name=sensitive]")) box.checked = (p.sensitive_inclusions || []).includes(box.value);
    document.getElementById("p-elevated").checked = !!p.elevated_privacy;
  }
  for (const area of form.querySelectorAll("[data-section]")) area.value = a.sections[area.dataset.section] || area.value;
  if (a.ao_id) document.getElementById("p-ao").value = a.ao_id;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const checked = (name) => Array.from(form.querySelectorAll(`[name=${name}]:checked`), (b) => b.value);
    if (!checked("category").length) { lfr.notice("Choose at least one watchlist category.", "error"); return; }
    const number = (field) => (value(field) === "" ? null : Number(value(field)));
    const utc = (field) => (value(field).length === 16 ? `${value(field)}:00Z` : `${value(field)}Z`);
    const body = {
      sections: Object.fromEntries(Array.from(form.querySelectorAll("[data-section]"), (t) => [t.dataset.section, t.value.trim()])),
      proposal: {
        location: { name: value("p-name"), borough: value("p-borough"), latitude: number("p-lat"), longitude: number("p-lon") },
        starts_at: utc("p-start"), ends_at: utc("p-end"), use_case: a.use_case,
        watchlist_categories: checked("category"), watchlist_max_size: Number(value("p-size")),
        threshold: Number(value("p-threshold")), sensitive_inclusions: checked("sensitive"),
        elevated_privacy: document.getElementById("p-elevated").checked,
        cameras: value("p-cameras").split(",").map((c) => c.trim()).filter(Boolean),
      },
      authorising_officer_id: value("p-ao"),
    };
    await act(`/applications/${id}/submission`, body, "The application is submitted to the authorising officer.");
  };
}

const value = (id) => document.getElementById(id).value.trim();

async function act(path, body, done) {
  try {
    await lfr.api(path, { method: "POST", body });
    lfr.notice(done);
    setTimeout(() => location.reload(), 300);
  } catch (error) {
    lfr.notice(`Not done: ${error.message}`, "error");
  }
}

function prepareNeed() {
  const form = document.getElementById("need-form");
  form.hidden = false;
  form.onsubmit = async (event) => {
    event.preventDefault();
    try {
      const made = await lfr.api("/applications", { method: "POST", body: { objective: value("need-objective"), use_case: value("need-use") } });
      location.assign(`/web/applications/${made.id}`);
    } catch (error) {
      lfr.notice(`Not started: ${error.message}`, "error");
    }
  };
}

async function showList() {
  const rows = (await lfr.api("/web/api/applications")).rows;
  const body = document.getElementById("list-rows");
  for (const a of rows) {
    const link = lfr.el("a", a.objective, { href: `/web/applications/${a.id}` });
    const cell = document.createElement("td");
    cell.append(link);
    body.append(lfr.row([cell, a.use_case, a.status.replaceAll("_", " "), a.applicant_id]));
  }
  if (!rows.length) body.append(lfr.row(["No applications yet."]));
  document.getElementById("list").hidden = false;
}

function numbered(list, items) {
  list.replaceChildren();
  for (const [title, text, missing] of items) {
    const li = document.createElement("li");
    li.append(lfr.el("h3", title), lfr.el("p", text || missing, { class: text ? "" : "muted" }));
    list.append(li);
  }
}

async function showWatchlist(deploymentId) {
  let rows;
  try {
    rows = (await lfr.api(`/web/api/deployments/${deploymentId}/watchlist`)).rows;
  } catch (error) {
    return; // not yet planned: no watchlist to show
  }
  const body = document.getElementById("watchlist-rows");
  body.replaceChildren();
  for (const e of rows) {
    const flags = e.sensitive_flags.map((f) => FLAGS[f] || f).join(", ");
    const tr = lfr.row([e.reference ?? "sealed (read under s.62)", e.category.replaceAll("_", " "), e.source ?? "sealed (read under s.62)",
      flags ? `Heightened scrutiny: ${flags}` : "–", e.ao_rationale ?? (e.ao_rationale_recorded ? "recorded by the AO (sealed)" : (flags ? "none recorded" : "–"))]);
    if (flags) tr.classList.add("sensitive");
    body.append(tr);
  }
  if (!rows.length) body.append(lfr.row(["No entries yet."]));
  document.getElementById("watchlist-section").hidden = false;
}

async function showApplication(user, id, deploymentId) {
  const a = await lfr.api(`/applications/${id}`);
  const p = a.proposal || {};
  const facts = document.getElementById("summary");
  facts.replaceChildren();
  const sensitive = (p.sensitive_inclusions || []).map((f) => FLAGS[f] || f).join(", ");
  for (const [term, value] of [["Objective", a.objective], ["Use case", a.use_case],
    ["Status", a.status.replaceAll("_", " ")], ["Applicant", a.applicant_id],
    ["Location", p.location ? `${p.location.name}, ${p.location.borough}` : "–"],
    ["From", lfr.when(p.starts_at)], ["Until", lfr.when(p.ends_at)],
    ["Threshold", a.threshold || p.threshold || "–"], ["Watchlist size", a.watchlist_max_size || p.watchlist_max_size || "–"],
    ["Sensitive inclusions", sensitive || "none"], ["Authorising officer", a.ao_id || "–"]]) {
    const div = document.createElement("div");
    div.append(lfr.el("dt", term), lfr.el("dd", value));
    facts.append(div);
  }
  numbered(document.getElementById("sections"),
    SECTIONS.map(([key, title]) => [title, a.sections[key], "Not yet written."]));
  numbered(document.getElementById("decisions"),
    DECISIONS.map(([key, title]) => [title, decided(a.decisions[key]), "Not yet decided."]));
  const rationale = document.getElementById("sensitive-rationale");
  rationale.replaceChildren();
  for (const [flag, text] of Object.entries(a.sensitive_rationale || {})) {
    rationale.append(lfr.el("p", `Heightened scrutiny, ${FLAGS[flag] || flag}: ${text}`, { class: "sensitive" }));
  }
  document.getElementById("detail").hidden = false;
  showNext(...nextStep(a, deploymentId));
  if (user.roles.includes("applicant")) prepareApplicant(id, a);
  const ao = user.roles.includes("authorising_officer");
  const deciding = ao && a.status === "submitted";
  document.getElementById("authority-form").hidden = !deciding;
  document.getElementById("amend-form").hidden = !deciding;
  if (deciding) prepareAuthority(id, p.sensitive_inclusions || []);
  const planned = !!a.gold_id; // a deployment (and its watchlist) exists once granted
  if (planned && user.roles.some((r) => ["authorising_officer", "gold", "applicant"].includes(r))) showWatchlist(deploymentId);
}

// One of the AO's decisions as shown: approve or refuse, then the rationale.
function decided(decision) {
  if (!decision) return undefined;
  return `${decision.outcome === "refuse" ? "Refused" : "Approved"}: ${decision.rationale}`;
}

function prepareAuthority(id, flags) {
  const form = document.getElementById("authority-form");
  const holder = document.getElementById("flag-rationale");
  holder.replaceChildren();
  for (const flag of flags) {
    holder.append(lfr.el("label", `Heightened scrutiny: rationale for including ${FLAGS[flag] || flag}`, { for: `r-${flag}` }));
    holder.append(lfr.el("textarea", "", { id: `r-${flag}`, "data-flag": flag, rows: "2", required: "" }));
  }
  form.onsubmit = async (event) => {
    event.preventDefault();
    const decisions = Object.fromEntries(DECISIONS.map(([key]) => [key,
      { outcome: form.elements[`${key}-outcome`].value, rationale: form.elements[key].value }]));
    const sensitive = Object.fromEntries(Array.from(holder.querySelectorAll("textarea"), (t) => [t.dataset.flag, t.value]));
    const versions = Object.fromEntries(form.elements.versions.value.split("\n").filter((l) => l.includes("="))
      .map((l) => l.split("=").map((s) => s.trim())));
    try {
      await lfr.api(`/applications/${id}/authority`, { method: "POST",
        body: { decisions, document_versions: versions, gold_id: form.elements.gold_id.value, sensitive_rationale: sensitive } });
      lfr.notice("The Written Authority is granted.");
      location.reload();
    } catch (error) {
      lfr.notice(`Not granted: ${error.message}`, "error");
    }
  };
  const amend = document.getElementById("amend-form");
  amend.onsubmit = async (event) => {
    event.preventDefault();
    const act = event.submitter.dataset.act;
    const text = document.getElementById("notes").value;
    const body = act === "rejection" ? { reasons: text } : { notes: text };
    try {
      await lfr.api(`/applications/${id}/${act}`, { method: "POST", body });
      location.reload();
    } catch (error) {
      lfr.notice(`Not recorded: ${error.message}`, "error");
    }
  };
}

document.addEventListener("DOMContentLoaded", async () => {
  const user = await lfr.forPage();
  if (!user) return;
  page.hidden = false;
  const id = page.dataset.application;
  try {
    if (!id) {
      if (user.roles.includes("applicant")) prepareNeed();
      return await showList();
    }
    const listed = (await lfr.api("/web/api/applications")).rows.find((a) => a.id === id);
    await showApplication(user, id, listed ? listed.deployment_id : "");
  } catch (error) {
    lfr.notice(error.message, "error");
  }
});
