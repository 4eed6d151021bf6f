"use strict";

async function showIdentity() {
  const user = await lfr.showNav();
  document.getElementById("signed-in").hidden = !user;
  document.getElementById("signed-out").hidden = !!user;
  if (!user) return;
  document.getElementById("identity").textContent =
    `${user.user_id}, signed in as ${lfr.roleWords(user.roles)}.`;
  const next = document.getElementById("sign-in-page").dataset.next;
  if (next) {
    // Already signed in (in another tab, say): the page asked for is one step away.
    const again = lfr.el("p", "");
    again.append(lfr.el("a", "Go on to the page you asked for", { href: next, id: "go-on" }));
    document.getElementById("identity").after(again);
  }
  const list = document.getElementById("your-pages");
  list.replaceChildren();
  for (const item of document.querySelectorAll("nav [data-for-roles]:not([hidden]) a")) {
    const li = document.createElement("li");
    li.append(lfr.el("a", item.textContent, { href: item.getAttribute("href") }));
    list.append(li);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const next = document.getElementById("sign-in-page").dataset.next;
  document.getElementById("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    lfr.signIn(document.getElementById("token").value);
    document.getElementById("token").value = "";
    const user = await lfr.me();
    if (!user) return;
    if (next) { location.assign(next); return; }
    lfr.notice(`Signed in as ${user.user_id}.`);
    await showIdentity();
  });
  document.querySelector(".error-summary")?.focus();
  showIdentity();
});
