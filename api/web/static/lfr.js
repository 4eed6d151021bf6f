// Shared by every page: the token (localStorage, so every tab shares the session), API
// calls with it, who is signed in, and showing each page and nav link only to the roles it
// is for.
"use strict";

const lfr = (() => {
  const KEY = "lfr-token";
  let who = null;

  const token = () => localStorage.getItem(KEY);
  const roleNames = () => JSON.parse(document.body.dataset.roleNames || "{}");
  const roleWords = (roles) => roles.map((r) => roleNames()[r] || r).join(", ");

  function notice(text, kind = "info") {
    const box = document.getElementById("notice");
    box.textContent = text;
    box.className = `notice ${kind}`;
    box.hidden = !text;
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error((data && data.detail) || `${response.status} ${response.statusText}`);
    return data;
  }

  // The signed-in user ({user_id, roles}) or null; an expired token is dropped.
  async function me() {
    if (who || !token()) return who;
    try {
      who = await api("/web/api/me");
    } catch (error) {
      localStorage.removeItem(KEY);
      notice(`You are signed out: ${error.message}`, "error");
    }
    return who;
  }

  const holds = (user, roles) => !!user && user.roles.some((r) => roles.includes(r));

  async function showNav() {
    const user = await me();
    for (const item of document.querySelectorAll("[data-for-roles]")) {
      item.hidden = !holds(user, item.dataset.forRoles.split(" "));
    }
    document.getElementById("sign-in-link").hidden = !!user;
    document.getElementById("session").hidden = !user;
    if (user) document.getElementById("who").textContent = `${user.user_id} (${roleWords(user.roles)})`;
    return user;
  }

  // Resolves to the user when they hold one of the page's roles; otherwise says why.
  async function forPage() {
    const user = await showNav();
    const roles = document.body.dataset.roles.split(" ").filter(Boolean);
    if (!user) {
      // Back here once signed in, in this tab or any other.
      location.replace(`/web/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
      return null;
    }
    if (!holds(user, roles)) {
      const wanted = roles.map((r) => roleNames()[r] || r).join(" or ");
      notice(`This page is for the ${wanted}; you are signed in as ${roleWords(user.roles)}.`, "error");
      return null;
    }
    return user;
  }

  function signIn(text) { localStorage.setItem(KEY, text.trim()); who = null; }
  function signOut() { localStorage.removeItem(KEY); who = null; }

  // A table cell or element with text (never HTML from data).
  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) tr.append(cell instanceof Node ? cell : el("td", cell ?? "–"));
    if (cells.length === 1) tr.firstElementChild.colSpan = 99; // "nothing here" spans the table
    return tr;
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC" : "–");

  // Each cell carries its column's heading, which a phone shows beside the value when the
  // table is stacked into one block per row (no sideways scrolling).
  function labelCells() {
    for (const table of document.querySelectorAll("main table")) {
      const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.replace(/[▲▼]/g, "").trim());
      for (const tr of table.querySelectorAll("tbody tr")) {
        [...tr.children].forEach((cell, i) => {
          if (heads[i] && cell.dataset.label !== heads[i]) cell.dataset.label = heads[i];
        });
      }
    }
  }
  let labelling = false;
  new MutationObserver(() => {
    if (labelling) return;
    labelling = true;
    requestAnimationFrame(() => { labelCells(); labelling = false; });
  }).observe(document.documentElement, { childList: true, subtree: true });

  document.addEventListener("DOMContentLoaded", () => {
    labelCells();
    if (!document.body.dataset.roles) showNav();
    document.getElementById("sign-out").addEventListener("click", () => {
      signOut();
      location.assign("/web/sign-out"); // ends the identity provider's session too, if any
    });
  });
  // Signing in or out in another tab applies here too.
  window.addEventListener("storage", (event) => {
    if (event.key === KEY && document.body.dataset.page !== "sign-in") location.reload();
  });

  return { api, me, forPage, showNav, notice, signIn, signOut, holds, el, row, when, token, roleWords };
})();
