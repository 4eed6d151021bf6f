"use strict";

async function showIdentity() {
  const user = await lfr.showNav();
  const box = document.getElementById("signed-in");
  box.hidden = !user;
  if (!user) return;
  document.getElementById("identity").textContent =
    `${user.user_id}, with role(s): ${user.roles.join(", ")}.`;
  const list = document.getElementById("your-pages");
  list.replaceChildren();
  for (const item of document.querySelectorAll("nav [data-for-roles]:not([hidden]) a")) {
    const li = document.createElement("li");
    li.append(lfr.el("a", item.textContent, { href: item.getAttribute("href") }));
    list.append(li);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("sign-in");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lfr.signIn(document.getElementById("token").value);
    const user = await lfr.me();
    if (user) lfr.notice(`Signed in as ${user.user_id}.`);
    document.getElementById("token").value = "";
    await showIdentity();
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    lfr.signOut();
    lfr.notice("Signed out.");
    document.getElementById("who").textContent = "Sign in";
    await showIdentity();
  });
  showIdentity();
});
