// The register's "verify" buttons: fetch the row with its proofs, check it here.
"use strict";

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
    const result = await lfrVerify.verifyRow(published.rows[0], published.checkpoint, published.log_public_key);
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
