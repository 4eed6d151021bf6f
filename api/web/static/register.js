// The register's Check buttons (a table row, or one deployment's page): fetch the row with
// its proofs and check it here, against the figures this page shows and the log key
// fingerprint it prints.
"use strict";

// A status as signed, shown in words; the words map back one to one (api/web/register.py).
const STATUS_WORDS = {
  announced: "Planned",
  published: "Results published",
  amended: "Results corrected",
  closed: "Did not go ahead",
};
const SIGNED_STATUS = Object.fromEntries(Object.entries(STATUS_WORDS).map(([k, v]) => [v, k]));

// The figures a row or page shows, by register column (each element names its column).
function shownCells(container) {
  const cells = {};
  for (const el of container.querySelectorAll("[data-col]")) {
    if (el.tagName === "TH") continue;
    const text = el.textContent.trim();
    cells[el.dataset.col] = el.dataset.words ? (SIGNED_STATUS[text] ?? `${text} (not a status)`) : text;
  }
  return cells;
}

async function verify(button, container, verdict) {
  verdict.className = "verdict";
  verdict.textContent = "checking…";
  button.disabled = true;
  try {
    const response = await fetch(`/public/register/${container.dataset.id}`);
    if (!response.ok) throw new Error(`the register answered ${response.status}`);
    const published = await response.json();
    const printed = document.getElementById("log-key-fingerprint").textContent;
    const result = await lfrVerify.verifyRow(
      published.rows[0], published.checkpoint, published.log_public_key, printed, shownCells(container));
    verdict.textContent = result.text;
    verdict.classList.add(result.ok ? "ok" : "failed");
  } catch (error) {
    verdict.textContent = `FAILED: ${error.message}`;
    verdict.classList.add("failed");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("register")?.addEventListener("click", (event) => {
    const button = event.target.closest("button.verify");
    if (!button) return;
    const tr = button.closest("tr");
    verify(button, tr, tr.querySelector(".verdict"));
  });
  const page = document.getElementById("deployment");
  document.getElementById("verify")?.addEventListener("click", (event) => {
    verify(event.currentTarget, page, document.getElementById("verdict"));
  });
});
