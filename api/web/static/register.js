// The register's "verify" buttons: fetch the row with its proofs and check it here, against
// the figures this page shows and the log key fingerprint it prints.
"use strict";

// The figures a row shows, by register column (each heading names its column).
function shownCells(tr) {
  const cells = {};
  const columns = tr.closest("table").querySelectorAll("thead th[data-col]");
  columns.forEach((th, i) => { cells[th.dataset.col] = tr.cells[i].textContent; });
  return cells;
}

async function verify(button) {
  const tr = button.closest("tr");
  const verdict = tr.querySelector(".verdict");
  verdict.className = "verdict";
  verdict.textContent = "checking…";
  button.disabled = true;
  try {
    const response = await fetch(`/public/register/${tr.dataset.id}`);
    if (!response.ok) throw new Error(`the register answered ${response.status}`);
    const published = await response.json();
    const printed = document.getElementById("log-key-fingerprint").textContent;
    const result = await lfrVerify.verifyRow(
      published.rows[0], published.checkpoint, published.log_public_key, printed, shownCells(tr));
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
  document.getElementById("register").addEventListener("click", (event) => {
    const button = event.target.closest("button.verify");
    if (button) verify(button);
  });
});
