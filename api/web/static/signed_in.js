// The end of a single sign-on: keep the session's token in this browser, then go on to the
// page that was asked for.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const handover = document.getElementById("handover");
  lfr.signIn(handover.dataset.token);
  handover.dataset.token = "";
  location.replace(handover.dataset.next || "/web/sign-in");
});
